"""The pieces every stock form shares: a part field a scanner types into, a quantity field that says
why it refuses what was typed, and the record of what a posting did.

A barcode scanner is a keyboard that types the code and presses Enter, so the flow of every form
is: part, Enter (the part is looked up at the location and shown with its on hand), quantity,
Enter (posted). Quantities are read in the user's locale (``ui.numbers.parse_decimal``) and then
checked as the ledger checks them (``quantities.parse_quantity``: whole units refuse fractions),
and the reason is shown next to the field, not in a passing status message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from vmi_desktop.commands.stock import PostingResult
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import utcnow
from vmi_desktop.quantities import parse_quantity
from vmi_desktop.queries.stock_forms import PartAt, find_part, part_at
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import ERROR_COLOUR

#: Settings keys (``window_settings()``) the forms remember between sessions.
LOCATION_KEY = "stock_forms/location"
TO_LOCATION_KEY = "stock_forms/to_location"


def qty(value: Decimal, uom: str = "") -> str:
    """A quantity as the user reads it, with its unit."""
    return f"{format_decimal(value)} {uom}".strip()


@dataclass
class PostingRecord:
    """One posting made in this session, for the "posted" list, its result line and a reversal."""

    when: datetime
    what: str
    part_number: str
    location: str
    uom: str
    quantity: Decimal
    on_hand_before: Decimal
    on_hand_after: Decimal
    movement_ids: tuple[int, ...]
    summary: str
    reference: str = ""
    #: why it cannot be reversed here ("" when it can)
    not_reversible: str = ""
    reversed_by: tuple[int, ...] = field(default_factory=tuple)

    @property
    def reversible(self) -> bool:
        return not self.not_reversible and not self.reversed_by


def record_of(
    what: str, part: PartAt, result: PostingResult, summary: str, *, reference: str = "", not_reversible: str = ""
) -> PostingRecord:
    """The record of a posting on one pair (the last posting of the result is the one on ``part``)."""
    posting = next((p for p in result.postings if p.location_id == part.location_id), result.posting)
    return PostingRecord(
        when=utcnow(),
        what=what,
        part_number=part.part_number,
        location=part.location,
        uom=part.uom,
        quantity=posting.quantity,
        on_hand_before=posting.on_hand_after - posting.quantity,
        on_hand_after=posting.on_hand_after,
        movement_ids=tuple(p.movement_id for p in result.postings),
        summary=summary,
        reference=reference,
        not_reversible=not_reversible,
    )


class _ShownWhenSaid(QLabel):
    """A label that takes no room while it says nothing (a form does not jump by empty lines)."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


def _reason_label(name: str) -> QLabel:
    label = _ShownWhenSaid("")
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    label.hide()
    return label


class PartField(QWidget):
    """Scan or type a part number, Enter: the part at the form's location, with its on hand."""

    #: the part was found (a ``PartAt``); the form moves on to the quantity
    found = Signal(object)

    def __init__(self, ctx: AppContext, location_id: Callable[[], int | None], name: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.location_id = location_id
        self.part: PartAt | None = None
        #: whether the on hand must not be shown (a blind count)
        self.hide_on_hand: Callable[[], bool] = lambda: False
        self.edit = QLineEdit()
        self.edit.setObjectName(f"{name}Part")
        self.edit.setPlaceholderText("scan or type a part number, Enter")
        self.edit.setClearButtonEnabled(True)
        self.info = _ShownWhenSaid("")
        self.info.setObjectName(f"{name}PartInfo")
        self.info.setWordWrap(True)
        self.info.hide()
        self.reason = _reason_label(f"{name}PartReason")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.info)
        layout.addWidget(self.reason)
        self.edit.returnPressed.connect(self.look_up)
        self.edit.textEdited.connect(lambda _t: self._forget())

    def _forget(self) -> None:
        self.part = None
        self.info.setText("")
        self.reason.setText("")

    def look_up(self) -> PartAt | None:
        """Find the typed part at the location; say why when it is not there."""
        text = self.edit.text().strip()
        location_id = self.location_id()
        self._forget()
        if not text:
            return None
        if location_id is None:
            self.reason.setText("Choose a location first.")
            return None
        with self.ctx.db.sessions() as session:
            part = find_part(session, self.ctx.actor, text, location_id)
        if part is None:
            self.reason.setText(f"No part {text!r} is known (part number or supplier part number).")
            return None
        self.show_part(part)
        self.found.emit(part)
        return part

    def show_part(self, part: PartAt) -> None:
        """Show a part (found, or refreshed after a posting)."""
        self.part = part
        if self.edit.text().strip() != part.part_number:
            self.edit.setText(part.part_number)
        inactive = " · deactivated" if not part.active else ""
        stock = "count it" if self.hide_on_hand() else f"on hand <b>{qty(part.on_hand, part.uom)}</b>"
        self.info.setText(
            f"<b>{part.part_number}</b> — {part.description or 'no description'} · at {part.location}: "
            f"{stock}{inactive}"
        )

    def resolve(self) -> PartAt:
        """The part, looked up now if Enter was not pressed; a ``ValidationError`` when there is none."""
        part = self.part or self.look_up()
        if part is None:
            raise ValidationError(self.reason.text() or "Scan or type a part number first.")
        return part

    def refresh(self) -> None:
        """Re-read the shown part (its on hand moved)."""
        if self.part is None:
            return
        with self.ctx.db.sessions() as session:
            fresh = part_at(session, self.ctx.actor, self.part.sku_id, self.part.location_id)
        if fresh is not None:
            self.show_part(fresh)

    def clear(self) -> None:
        """Empty, ready for the next scan."""
        self.edit.clear()
        self._forget()


class QuantityField(QWidget):
    """A quantity typed in the user's locale; what it refuses is said next to it while typing."""

    def __init__(self, name: str, *, what: str, allow_negative: bool = False, allow_zero: bool = False) -> None:
        super().__init__()
        self.what = what
        self.allow_negative = allow_negative
        self.allow_zero = allow_zero
        self.part: PartAt | None = None
        self.edit = QLineEdit()
        self.edit.setObjectName(f"{name}Quantity")
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.setMaximumWidth(160)
        self.unit = QLabel("")
        self.reason = _reason_label(f"{name}QuantityReason")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.unit)
        row.addWidget(self.reason, 1)
        self.edit.textEdited.connect(lambda _t: self.check())

    def set_part(self, part: PartAt | None) -> None:
        """The part the quantity is for: its unit decides whether fractions are allowed."""
        self.part = part
        self.unit.setText(part.uom if part is not None else "")
        self.check()

    def check(self) -> str:
        """The reason the typed text is refused ("" when it is fine, or empty)."""
        if not self.edit.text().strip():
            self.reason.setText("")
            return ""
        try:
            self.value()
        except ValidationError as exc:
            return str(exc)
        return ""

    def value(self) -> Decimal:
        """The exact quantity, or a ``ValidationError`` whose reason is shown next to the field."""
        try:
            number = parse_decimal(self.edit.text(), what=self.what)
            part = self.part
            result = parse_quantity(
                number,
                what=self.what,
                whole=part.whole if part is not None else False,
                uom=part.uom if part is not None else "",
                allow_negative=self.allow_negative,
                allow_zero=self.allow_zero,
            )
        except ValidationError as exc:
            self.reason.setText(str(exc))
            raise
        self.reason.setText("")
        return result

    def clear(self) -> None:
        self.edit.clear()
        self.reason.setText("")
