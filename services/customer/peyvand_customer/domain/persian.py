"""Persian text normalisation for matching and search: one spelling for the many ways people type a name."""

from __future__ import annotations

import re
import unicodedata

_ZWNJ = "\u200c"

# Characters that carry no meaning for matching: harakat and other Arabic marks, superscript
# alef, tatweel, and bidi controls that copy-paste from Word/Excel/RTL web forms drags along.
_DROP = (
    [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670", "\u0640"]
    + ["\u200e", "\u200f", "\u061c", "\ufeff"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
# Zero-width joiners/non-joiners separate the parts of a compound name ("محمد‌رضا"): a space.
_ZERO_WIDTH = [_ZWNJ, "\u200b", "\u200d", "\u2060"]

_ARABIC_TO_PERSIAN = {
    "\u064a": "\u06cc",  # ي Arabic yeh
    "\u0649": "\u06cc",  # ى alef maksura
    "\u0626": "\u06cc",  # ئ yeh with hamza: "مسئول"/"مسیول" are typed both ways
    "\u0643": "\u06a9",  # ك Arabic kaf
    "\u06aa": "\u06a9",  # ڪ swash kaf
    "\u0629": "\u0647",  # ة teh marbuta
    "\u06c0": "\u0647",  # ۀ heh with yeh above ("خانۀ" / "خانه")
    "\u06d5": "\u0647",  # ە ae
    "\u0623": "\u0627",  # أ
    "\u0625": "\u0627",  # إ
    "\u0671": "\u0627",  # ٱ alef wasla
    "\u0624": "\u0648",  # ؤ: "مؤمن"/"مومن"
}
_DIGITS = {ord(d): str(i) for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")} | {ord(d): str(i) for i, d in enumerate("٠١٢٣٤٥٦٧٨٩")}

_KEY_TABLE: dict[int, str | None] = {ord(c): None for c in _DROP}
_KEY_TABLE.update({ord(c): " " for c in _ZERO_WIDTH})
_KEY_TABLE.update({ord(k): v for k, v in _ARABIC_TO_PERSIAN.items()})
_KEY_TABLE.update(_DIGITS)

# Display cleaning keeps ZWNJ (it is correct Persian spelling) and hamza/alef forms.
_CLEAN_TABLE: dict[int, str | None] = {ord(c): None for c in _DROP + ["\u200b", "\u200d", "\u2060"]}
_CLEAN_TABLE.update({ord("\u064a"): "\u06cc", ord("\u0649"): "\u06cc", ord("\u0643"): "\u06a9", ord("\u06aa"): "\u06a9"})
_CLEAN_TABLE.update(_DIGITS)

_NAME_SEPARATORS = re.compile(r"[\-_.,،؛;:/\\()\"'«»]+")
_ZWNJ_RUNS = re.compile(r"\s*\u200c[\s\u200c]*")


def _normalize_once(text: str) -> str:
    # Compose first (ا + ◌ٓ → آ, presentation forms → letters), then map and drop marks.
    text = unicodedata.normalize("NFKC", text).translate(_KEY_TABLE).casefold()
    return " ".join(unicodedata.normalize("NFKC", text).split())


def normalize_text(text: str | None) -> str:
    """The matching form of ``text``: Persian letters and ASCII digits, no marks, Latin casefolded.

    Applied until it stops changing, so ``normalize_text`` is idempotent even for odd mixes of
    combining marks and controls.
    """
    if not text:
        return ""
    current = _normalize_once(text)
    for _ in range(3):
        following = _normalize_once(current)
        if following == current:
            break
        current = following
    return current


def clean_text(text: str | None) -> str:
    """The stored/display form of a name: Persian yeh/kaf, ASCII digits, ZWNJ kept, spaces collapsed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_CLEAN_TABLE)
    text = " ".join(text.split())
    # A ZWNJ next to a space (or doubled) is a typing accident: keep one ZWNJ, no spaces.
    text = _ZWNJ_RUNS.sub(_ZWNJ, text)
    return text.strip(_ZWNJ + " ")


def name_tokens(*parts: str | None) -> list[str]:
    """Normalised tokens of the given name parts, in order (punctuation separates tokens)."""
    tokens: list[str] = []
    for part in parts:
        if part:
            tokens.extend(_NAME_SEPARATORS.sub(" ", normalize_text(part)).split())
    return tokens


def compact_name(*parts: str | None) -> str:
    """Normalised name without spaces: "محمد‌رضا", "محمد رضا" and "محمدرضا" give the same key."""
    return "".join(name_tokens(*parts))


def search_tokens(first_name: str | None, last_name: str | None, org_name: str | None = None) -> set[str]:
    """Keys for prefix search by any name token or by a whole name typed without spaces."""
    keys: set[str] = set(name_tokens(first_name, last_name, org_name))
    for part in (first_name, last_name, org_name):
        compact = compact_name(part)
        if compact:
            keys.add(compact)
    full = compact_name(first_name, last_name)
    if full:
        keys.add(full)
    return keys
