"""Free text a person types (names, notes, references, reasons): trimmed, bounded, nothing invisible;
and a supplier's, which is never refused for it (``supplier_text``).

One rule for every such field, so that a field refuses what the database would: PostgreSQL stores no NUL
in a text column, and a write of one failed the whole transaction with an error that named no field.
The other control characters are invisible in the tables and break the exchange files. Tab and line
breaks are kept (a note may have lines).
"""

from __future__ import annotations

import re

from vmi_desktop.errors import ValidationError

#: Control characters no text field takes (tab, line feed and carriage return are kept).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def free_text(value: object, limit: int, what: str, *, required: bool = False) -> str:
    """``value`` trimmed; refused, saying which field and why, when empty (``required``), longer than
    ``limit`` characters or holding a control character."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationError(f"{what} must not be empty")
    if len(text) > limit:
        raise ValidationError(f"{what} is longer than {limit} characters")
    found = CONTROL.search(text)
    if found:
        raise ValidationError(
            f"{what} holds an invisible control character (U+{ord(found.group()):04X}) at position "
            f"{found.start() + 1}: remove it"
        )
    return text


def supplier_text(text: str, limit: int) -> str:
    """A supplier's free text (a reason, a note) as the app keeps it: each control character a person's
    text may not hold spelled out as ``\\uXXXX``, then cut to ``limit``.

    Never refused: an order the supplier cancelled stays cancelled whatever its reason holds; the six
    characters show what was sent where the character itself would be invisible (or, a NUL, refused by
    PostgreSQL)."""
    spelled = CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return spelled[:limit]
