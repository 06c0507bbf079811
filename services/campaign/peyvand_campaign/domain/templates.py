"""Message templates: save-time placeholder validation, fa/en rendering and SMS segment counting."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from peyvand_runtime.domain import FieldViolation, ValidationError, Violations
from peyvand_runtime.ids import is_id, new_id
from peyvand_runtime.tehran_time import format_rials, to_jalali, to_persian_digits

from .values import CHANNELS, EMAIL, LANGUAGES, MARKETING, PURPOSES, PUSH, SMS

# Placeholder -> the Python type its context value must have.
PLACEHOLDER_TYPES: dict[str, type] = {
    "customer_name": str,
    "policy_number": str,
    "product_name": str,
    "end_date": dt.date,
    "premium": int,
    "agent_name": str,
    "agent_phone": str,
    "days_left": int,
    "unsubscribe_url": str,
    "survey_url": str,
}
# {unsubscribe_url} is a link in an email footer; SMS opt-out is the STOP keyword instead.
_EMAIL_ONLY = frozenset({"unsubscribe_url"})

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


class TemplatePlaceholderError(ValidationError):
    """A template body or subject uses an unknown placeholder or has malformed braces."""

    code = "TEMPLATE_PLACEHOLDER_UNKNOWN"


class TemplateContextMissing(ValidationError):
    """Rendering was asked without a value every placeholder needs; nothing is rendered."""


class _Malformed(Exception):
    pass


def allowed_placeholders(channel: str) -> frozenset[str]:
    names = frozenset(PLACEHOLDER_TYPES)
    return names if channel == EMAIL else names - _EMAIL_ONLY


def _tokens(text: str) -> tuple[tuple[bool, str], ...]:
    """Split text into (is_placeholder, text) pieces; ``{{`` and ``}}`` are literal braces.
    Remembered per text: a sender renders the same few template bodies for every message."""
    return _split(text)


@functools.lru_cache(maxsize=512)
def _split(text: str) -> tuple[tuple[bool, str], ...]:
    pieces: list[tuple[bool, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif char == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif char == "{":
            end = text.find("}", i + 1)
            if end == -1:
                raise _Malformed(f"'{{' at position {i} is never closed")
            name = text[i + 1:end]
            if not _NAME_RE.match(name):
                raise _Malformed(f"placeholder at position {i} must look like {{name}}")
            if literal:
                pieces.append((False, "".join(literal)))
                literal = []
            pieces.append((True, name))
            i = end + 1
        elif char == "}":
            raise _Malformed(f"'}}' at position {i} has no matching '{{' (write '}}}}' for a brace)")
        else:
            literal.append(char)
            i += 1
    if literal:
        pieces.append((False, "".join(literal)))
    return tuple(pieces)


def placeholders_in(text: str) -> list[str]:
    """Placeholder names used in ``text`` in order (raises ValueError when braces are malformed)."""
    try:
        return [value for is_name, value in _tokens(text) if is_name]
    except _Malformed as exc:
        raise ValueError(str(exc)) from None


@dataclass
class Template:
    """A reusable message for one channel and purpose, with a body per language."""

    id: str
    name: str
    channel: str
    purpose: str
    bodies: dict[str, str]
    subjects: dict[str, str] = field(default_factory=dict)  # email subject (push title) per language
    version: int = 0

    @classmethod
    def create(cls, *, name: str, channel: str, purpose: str, bodies: Mapping[str, str],
               subjects: Mapping[str, str] | None = None, template_id: str | None = None) -> Template:
        template = cls(id=template_id or new_id("tpl"), name=name, channel=channel, purpose=purpose,
                       bodies=dict(bodies), subjects=dict(subjects or {}))
        template.validate()
        return template

    def validate(self) -> None:
        """Call before every save. Placeholder problems win the code TEMPLATE_PLACEHOLDER_UNKNOWN."""
        violations = Violations()
        placeholder_problems: list[FieldViolation] = []
        if not is_id(self.id, "tpl"):
            violations.add("id", "must be a tpl_ id")
        if not self.name.strip():
            violations.add("name", "is required")
        if self.channel not in CHANNELS:
            violations.add("channel", f"must be one of {', '.join(CHANNELS)}")
        if self.purpose not in PURPOSES:
            violations.add("purpose", f"must be one of {', '.join(PURPOSES)}")
        if not self.bodies.get("fa", "").strip():
            violations.add("bodies.fa", "a Persian body is required")
        allowed = allowed_placeholders(self.channel)
        texts = [("bodies", self.bodies), ("subjects", self.subjects)]
        for group, by_language in texts:
            for language, text in by_language.items():
                path = f"{group}.{language}"
                if language not in LANGUAGES:
                    violations.add(path, "language must be fa or en")
                    continue
                if group == "subjects" and self.channel == SMS:
                    violations.add(path, "SMS messages have no subject")
                    continue
                placeholder_problems += _placeholder_violations(path, text, allowed, self.channel)
        if self.channel == EMAIL:
            for language in self.bodies:
                if language in LANGUAGES and not self.subjects.get(language, "").strip():
                    violations.add(f"subjects.{language}", "an email needs a subject per body language")
            if self.purpose == MARKETING:
                for language, text in self.bodies.items():
                    if language in LANGUAGES and "{unsubscribe_url}" not in text:
                        # Marketing email must always offer a one-click way out.
                        violations.add(f"bodies.{language}", "a marketing email must include {unsubscribe_url}")
        if placeholder_problems:
            raise TemplatePlaceholderError(placeholder_problems + violations.items)
        violations.raise_if_any()

    def check_draft(self, prefix: str = "draft.") -> None:
        """What a live preview of an unsaved template needs: the save-time channel, language and
        placeholder rules (same messages and code), but not name or subject completeness."""
        violations = Violations()
        if self.channel not in CHANNELS:
            violations.add(f"{prefix}channel", f"must be one of {', '.join(CHANNELS)}")
        if self.purpose not in PURPOSES:
            violations.add(f"{prefix}purpose", f"must be one of {', '.join(PURPOSES)}")
        violations.raise_if_any()
        problems: list[FieldViolation] = []
        for group, by_language in (("bodies", self.bodies), ("subjects", self.subjects)):
            # fa, en, then anything else: the same order whatever order the map arrived in.
            for language in sorted(by_language, key=lambda x: (LANGUAGES.index(x) if x in LANGUAGES else len(LANGUAGES), x)):
                text = by_language[language]
                path = f"{prefix}{group}.{language}"
                if language not in LANGUAGES:
                    violations.add(path, "language must be fa or en")
                elif group == "subjects" and self.channel == SMS and text.strip():
                    violations.add(path, "SMS messages have no subject")
                else:
                    problems += _placeholder_violations(path, text, allowed_placeholders(self.channel), self.channel)
        if problems:
            raise TemplatePlaceholderError(problems + violations.items)
        violations.raise_if_any()


def _placeholder_violations(path: str, text: str, allowed: frozenset[str], channel: str) -> list[FieldViolation]:
    try:
        names = placeholders_in(text)
    except ValueError as exc:
        return [FieldViolation(path, f"malformed braces: {exc}")]
    problems = []
    for name in dict.fromkeys(names):
        if name not in allowed:
            why = "is only allowed in email" if name in PLACEHOLDER_TYPES else "is not a known placeholder"
            problems.append(FieldViolation(path, f"{{{name}}} {why} (channel {channel})"))
    return problems


@dataclass(frozen=True)
class SmsLength:
    """How an SMS body will travel: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part)."""

    encoding: str  # "gsm7" | "ucs2"
    units: int
    segments: int


_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each costs an escape plus the character


def sms_length(text: str) -> SmsLength:
    """Count units and segments; any Persian letter forces UCS-2 for the whole message."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, part, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # UTF-16 code units
        single, part, encoding = 70, 67, "ucs2"
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = math.ceil(units / part)
    return SmsLength(encoding, units, segments)


@dataclass(frozen=True)
class RenderedMessage:
    template_id: str
    channel: str
    purpose: str
    language: str  # the body actually used (en falls back to fa when there is no English body)
    body: str
    subject: str = ""
    sms: SmsLength | None = None


def format_value(name: str, value: object, language: str) -> str:
    """Localise one context value: Jalali dates and Persian digits in fa, Gregorian in en."""
    if name == "end_date" and isinstance(value, dt.date):
        if language == "fa":
            return to_persian_digits(to_jalali(value))
        return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"
    if name == "premium" and isinstance(value, int):
        return format_rials(value, persian_digits=True) if language == "fa" else f"{value:,} rials"
    if name == "days_left" and isinstance(value, int):
        return to_persian_digits(str(value)) if language == "fa" else str(value)
    # Names, policy numbers, phones and URLs go out exactly as given (people type them back).
    return str(value)


def _check_context(names: list[str], context: Mapping[str, object]) -> None:
    violations: list[FieldViolation] = []
    for name in dict.fromkeys(names):
        value = context.get(name)
        expected = PLACEHOLDER_TYPES[name]
        if value is None or (isinstance(value, str) and not value.strip()):
            violations.append(FieldViolation(f"context.{name}", "a value is required by the template"))
        elif isinstance(value, bool) or not isinstance(value, expected) or (
            expected is dt.date and isinstance(value, dt.datetime)
        ):
            violations.append(FieldViolation(f"context.{name}", f"must be a {expected.__name__}"))
    if violations:
        raise TemplateContextMissing(violations)


def _fill(text: str, context: Mapping[str, object], language: str) -> str:
    return "".join(format_value(v, context[v], language) if is_name else v for is_name, v in _tokens(text))


def render(template: Template, language: str, context: Mapping[str, object]) -> RenderedMessage:
    """Render the whole message or raise TemplateContextMissing naming every missing value."""
    used = language if template.bodies.get(language, "").strip() else "fa"
    body = template.bodies[used]
    subject = template.subjects.get(used, "")
    _check_context(placeholders_in(body) + placeholders_in(subject), context)
    rendered_body = _fill(body, context, used)
    return RenderedMessage(
        template_id=template.id,
        channel=template.channel,
        purpose=template.purpose,
        language=used,
        body=rendered_body,
        subject=_fill(subject, context, used) if template.channel in (EMAIL, PUSH) else "",
        sms=sms_length(rendered_body) if template.channel == SMS else None,
    )
