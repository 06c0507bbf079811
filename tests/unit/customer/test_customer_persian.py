"""Persian normalisation: the many ways a name is typed match as one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from peyvand_customer.domain.persian import clean_text, compact_name, name_tokens, normalize_text, search_tokens


def test_arabic_yeh_and_kaf_become_persian() -> None:
    assert normalize_text("علي") == normalize_text("علی") == "علی"
    assert normalize_text("ىاسر") == "یاسر"
    assert normalize_text("كاظمي") == "کاظمی"


def test_hamza_forms_collapse_but_alef_madda_is_kept() -> None:
    assert normalize_text("مسئول") == normalize_text("مسیول")
    assert normalize_text("أحمد") == normalize_text("إحمد") == "احمد"
    assert normalize_text("آرش") == "آرش"
    assert normalize_text("ا\u0653رش") == "آرش"  # decomposed alef madda composes first
    assert normalize_text("مؤمن") == normalize_text("مومن")


def test_teh_marbuta_and_heh_with_yeh_become_heh() -> None:
    assert normalize_text("فاطمة") == "فاطمه"
    assert normalize_text("خانۀ") == normalize_text("خانهٔ") == "خانه"


def test_diacritics_tatweel_and_bidi_marks_disappear() -> None:
    assert normalize_text("مُحَمَّد") == "محمد"
    assert normalize_text("محـــمد") == "محمد"
    assert normalize_text("\u200fرضا\u200e") == "رضا"
    assert normalize_text("\u202bرضا\u202c\ufeff") == "رضا"
    assert normalize_text("\u2067رضا\u2069") == "رضا"
    assert normalize_text("عیسیٰ") == "عیسی"  # superscript alef


def test_zero_width_characters_separate_words() -> None:
    assert normalize_text("محمد\u200cرضا") == "محمد رضا"
    assert normalize_text("محمد\u200bرضا") == "محمد رضا"


def test_digits_case_and_whitespace() -> None:
    assert normalize_text("۱۲۳٤٥") == "12345"
    assert normalize_text("  ALI   Rezaei\t\n") == "ali rezaei"
    assert normalize_text("") == normalize_text(None) == ""


def test_presentation_forms_from_pdfs_are_folded() -> None:
    assert normalize_text("\ufea3\ufeb4\ufbff\ufee6") == "حسین"
    assert normalize_text("\ufbfc") == "ی"


def test_compound_names_compact_to_one_key() -> None:
    assert compact_name("محمد\u200cرضا") == compact_name("محمد رضا") == compact_name("محمدرضا") == "محمدرضا"
    assert compact_name("علي", "رضائي") == compact_name("علی", "رضایی")


def test_name_tokens_split_on_punctuation() -> None:
    assert name_tokens("سید-محمد", "حسینی.") == ["سید", "محمد", "حسینی"]
    assert name_tokens(None, "", "نوری") == ["نوری"]


def test_search_tokens_cover_every_token_and_the_whole_name() -> None:
    keys = search_tokens("محمد\u200cرضا", "شجاعی", None)
    assert {"محمد", "رضا", "محمدرضا", "شجاعی", "محمدرضاشجاعی"} <= keys
    assert {"پارس", "بازرگانی", "شرکتپارسبازرگانی"} <= search_tokens("", "", "شرکت پارس بازرگانی")


def test_clean_text_keeps_zwnj_but_fixes_letters_and_spacing() -> None:
    assert clean_text("  علي \u200c رضا  ") == "علی\u200cرضا"
    assert clean_text("كاظمي\u200f") == "کاظمی"
    assert clean_text("\u200cرضا\u200c") == "رضا"


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.text(alphabet="ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةأإآئ\u200c\u200e\u064e\u0640 ۱۲x"))
def test_normalize_is_idempotent_on_persian_heavy_text(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "\u200c" not in once and "ي" not in once and "ك" not in once
