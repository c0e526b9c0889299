"""Numbers as the user writes and reads them: parsed and shown in the user's locale (QLocale), exactly.

In an English locale "1,000" is one thousand and "1.5" one and a half; in a German one "1.000" is one
thousand and "1,5" one and a half. Anything else is refused with the reason, never reinterpreted:
a separator in the wrong place ("1,5" in English), an exponent ("1e3"), letters, more decimals than
the field takes. QLocale's own ``toDouble`` is not used: it goes through a binary float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QLocale

from vmi_desktop.errors import ValidationError

_SPACES = {"\u00a0", "\u202f", " "}


def _separators(locale: QLocale) -> tuple[str, str]:
    point = locale.decimalPoint() or "."
    group = locale.groupSeparator() or ""
    return point, group


def _language(locale: QLocale) -> str:
    return QLocale.languageToString(locale.language()) or locale.name()


def parse_decimal(text: str, locale: QLocale | None = None, *, what: str = "value", decimals: int = 3) -> Decimal:
    """The exact Decimal a person typed in ``locale`` (the default locale when None), or a clear refusal."""
    loc = locale or QLocale()
    point, group = _separators(loc)
    raw = text.strip()
    if not raw:
        raise ValidationError(f"{what} must be a number, got nothing")
    shown_group = " " if group in _SPACES else group
    example = f"1{shown_group}234{point}5" if group else f"1234{point}5"
    hint = f"in {_language(loc)} a number is written like {example} (decimal {point!r}"
    if group:
        hint += ", thousands grouped with spaces)" if group in _SPACES else f", thousands grouped with {group!r})"
    else:
        hint += ")"
    sign = ""
    if raw[0] in "+-" or raw.startswith(loc.negativeSign()):
        sign = "-" if raw[0] == "-" or raw.startswith(loc.negativeSign()) else ""
        raw = raw[1:].lstrip()
    integer, found_point, fraction = raw.partition(point) if point in raw else (raw, "", "")
    if group in _SPACES:
        integer = re.sub(r"[\u00a0\u202f ]", group, integer)
    if not re.fullmatch(r"\d*", fraction) or (found_point and not fraction and not integer):
        raise ValidationError(f"{what} {text.strip()!r} is not a number: {hint}")
    if group and group in integer:
        groups = integer.split(group)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])) or not all(
            g.isdigit() for g in groups
        ):
            raise ValidationError(f"{what} {text.strip()!r} is not a number: {hint}")
        integer = "".join(groups)
    if not re.fullmatch(r"\d*", integer) or not (integer or fraction):
        raise ValidationError(f"{what} {text.strip()!r} is not a number: {hint}")
    if len(fraction) > decimals:
        places = "no decimals" if decimals == 0 else f"at most {decimals} decimals"
        raise ValidationError(f"{what} {text.strip()} has more decimals than allowed ({places})")
    return Decimal(f"{sign}{integer or '0'}" + (f".{fraction}" if fraction else ""))


def format_decimal(
    value: Decimal | None, locale: QLocale | None = None, *, grouping: bool = True, trailing_zeros: bool = False
) -> str:
    """``value`` as the user reads it: the locale's decimal point, thousands grouped, no trailing zeros
    (unless ``trailing_zeros``: prices keep their cents)."""
    if value is None:
        return ""
    loc = locale or QLocale()
    point, group = _separators(loc)
    text = f"{value:f}" if trailing_zeros else f"{value.normalize():f}"
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    integer, _, fraction = text.partition(".")
    if grouping and group and len(integer) > 3:
        head = len(integer) % 3 or 3
        parts = [integer[:head]] + [integer[i : i + 3] for i in range(head, len(integer), 3)]
        integer = group.join(parts)
    return f"{sign}{integer}{point + fraction if fraction else ''}"


def format_count(value: int, locale: QLocale | None = None) -> str:
    """A count of rows, pairs or orders in the window, grouped as the table cells group their numbers
    (the locale's separator: "1,000,001" in English, "1.000.001" in German)."""
    return format_decimal(Decimal(value), locale)


@dataclass(frozen=True)
class InvalidInput:
    """What a person typed in a number field that did not parse, and why (shown at the cell)."""

    text: str
    reason: str


def read_number(text: str, *, what: str, decimals: int = 3, locale: QLocale | None = None) -> Decimal | InvalidInput:
    """A typed number as a Decimal, or the text with the reason it was refused (for a cell to show)."""
    try:
        return parse_decimal(text, locale, what=what, decimals=decimals)
    except ValidationError as exc:
        return InvalidInput(text, str(exc))
