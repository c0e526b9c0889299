"""The one-line stock forms: consumption, adjustment and transfer (scan, Enter, quantity, Enter).

Each posts through ``vmi_desktop.commands.stock`` (which runs the reorder check and queues what
it raises, in the same unit of work), shows what it did with the new on hand, and hands the
record to the page's list of postings, where it can be reversed. A refusal is shown in the form,
next to what caused it, and everything typed stays for correction.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from vmi_desktop.commands import stock
from vmi_desktop.commands.stock import PostingResult
from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.queries.stock_forms import PartAt
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.forms.fields import PartField, PostingRecord, QuantityField, qty, record_of
from vmi_desktop.ui.widgets import message_bar, set_bar_kind

#: Why stock is adjusted: the fixed codes a report can group by, plus free text.
REASON_CODES: tuple[str, ...] = (
    "damaged",
    "lost or missing",
    "found",
    "expired",
    "miscounted earlier",
    "data correction",
    "other",
)


def reorder_note(result: PostingResult) -> str:
    """What the reorder check did after a posting, in a few words ("" when nothing)."""
    if result.reorder.orders:
        return f" The reorder check raised or extended {', '.join(result.reorder.orders)}."
    return ""


class PostingForm(QWidget):
    """A form that posts on Enter in its last field and reports the result above its fields."""

    #: a posting was made (a ``PostingRecord``)
    posted = Signal(object)
    #: the key of the form in the page's tabs and the Stock menu
    key = ""
    title = ""

    def __init__(
        self, ctx: AppContext, location_id: Callable[[], int | None], location_code: Callable[[], str]
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.location_id = location_id
        self.location_code = location_code
        self.result = message_bar(f"{self.key}Result", "ok")
        self.error = message_bar(f"{self.key}Error", "error")
        self.part = PartField(ctx, location_id, self.key)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.post_button = QPushButton("Post")
        self.post_button.setObjectName(f"{self.key}Post")
        self.post_button.clicked.connect(self.post)
        fields = QWidget()
        fields.setObjectName(f"{self.key}Fields")
        fields.setLayout(self.form)
        fields.setMaximumWidth(860)  # a form reads down one column, not across a wide screen
        self.form.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addWidget(fields)
        layout.addWidget(self.post_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.post)

    def focus_first(self) -> None:
        """Put the cursor where a scan lands."""
        self.part.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.part.edit.selectAll()

    def post(self) -> PostingRecord | None:
        """Post what is typed; show the result (or why it was refused) and get ready for the next part."""
        self.error.hide()
        try:
            record = self.make_posting()
        except VmiError as exc:
            self.error.setText(f"Not posted: {exc}")
            self.error.show()
            return None
        self.result.setText(record.summary)
        set_bar_kind(self.result, "ok")
        self.result.show()
        self.posted.emit(record)
        self.after_post()
        return record

    def make_posting(self) -> PostingRecord:
        """Validate and post through ``commands.stock``; raise a ``VmiError`` to refuse."""
        raise NotImplementedError

    def after_post(self) -> None:
        """Clear the part and quantity (references stay: the next part is often for the same job)."""
        self.part.clear()
        self.clear_quantity()
        self.focus_first()

    def clear_quantity(self) -> None:
        """Subclasses clear their quantity field."""

    def _location(self) -> int:
        location_id = self.location_id()
        if location_id is None:
            raise ValidationError("choose a location first")
        return location_id


class ConsumeForm(PostingForm):
    """Parts issued to a job: part, quantity, the work order as reference."""

    key = "consume"
    title = "Consume"

    def __init__(
        self, ctx: AppContext, location_id: Callable[[], int | None], location_code: Callable[[], str]
    ) -> None:
        super().__init__(ctx, location_id, location_code)
        self.reference = QLineEdit()
        self.reference.setObjectName("consumeReference")
        self.reference.setPlaceholderText("work order or job (stays for the next part)")
        self.quantity = QuantityField("consume", what="consumed quantity")
        self.note = QLineEdit()
        self.note.setObjectName("consumeNote")
        self.form.addRow("Work order", self.reference)
        self.form.addRow("Part", self.part)
        self.form.addRow("Quantity", self.quantity)
        self.form.addRow("Note", self.note)
        self.post_button.setText("Post consumption")
        self.part.found.connect(self._part_found)
        self.quantity.edit.returnPressed.connect(self.post)
        self.reference.returnPressed.connect(self.focus_first)

    def _part_found(self, part: PartAt) -> None:
        self.quantity.set_part(part)
        self.quantity.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.quantity.edit.selectAll()

    def make_posting(self) -> PostingRecord:
        self._location()
        part = self.part.resolve()
        self.quantity.set_part(part)
        amount = self.quantity.value()
        reference = self.reference.text().strip()
        result = stock.consume(
            self.ctx.db,
            self.ctx.actor,
            part.sku_id,
            part.location_id,
            amount,
            reference=reference,
            note=self.note.text().strip(),
        )
        after = result.posting.on_hand_after
        job = f" for {reference}" if reference else ""
        summary = (
            f"Consumed {qty(amount, part.uom)} of {part.part_number} at {part.location}{job}: "
            f"on hand {qty(after + amount)} → {qty(after, part.uom)}.{reorder_note(result)}"
        )
        return record_of("consumption", part, result, summary, reference=reference)

    def clear_quantity(self) -> None:
        self.quantity.clear()
        self.note.clear()


class AdjustForm(PostingForm):
    """A correction up (+) or down (-) with a reason code and, for "other", the words."""

    key = "adjust"
    title = "Adjust"

    def __init__(
        self, ctx: AppContext, location_id: Callable[[], int | None], location_code: Callable[[], str]
    ) -> None:
        super().__init__(ctx, location_id, location_code)
        self.quantity = QuantityField("adjust", what="adjustment", allow_negative=True)
        self.quantity.edit.setPlaceholderText("+5 or -3")
        self.reason_code = QComboBox()
        self.reason_code.setObjectName("adjustReason")
        self.reason_code.addItems(REASON_CODES)
        self.details = QLineEdit()
        self.details.setObjectName("adjustDetails")
        self.details.setPlaceholderText("what happened (required for 'other')")
        self.form.addRow("Part", self.part)
        self.form.addRow("Change", self.quantity)
        self.form.addRow("Reason", self.reason_code)
        self.form.addRow("Details", self.details)
        self.post_button.setText("Post adjustment")
        self.part.found.connect(self._part_found)
        self.quantity.edit.returnPressed.connect(self.post)
        self.details.returnPressed.connect(self.post)

    def _part_found(self, part: PartAt) -> None:
        self.quantity.set_part(part)
        self.quantity.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def reason_text(self) -> str:
        """The reason as recorded: the code, then the details."""
        code, details = self.reason_code.currentText(), self.details.text().strip()
        if code == "other" and not details:
            raise ValidationError("say what happened: the reason 'other' needs details")
        return f"{code}: {details}" if details else code

    def make_posting(self) -> PostingRecord:
        self._location()
        part = self.part.resolve()
        self.quantity.set_part(part)
        delta = self.quantity.value()
        reason = self.reason_text()
        result = stock.adjust(self.ctx.db, self.ctx.actor, part.sku_id, part.location_id, delta, reason=reason)
        after = result.posting.on_hand_after
        sign = "+" if delta > 0 else ""
        summary = (
            f"Adjusted {part.part_number} at {part.location} by {sign}{qty(delta, part.uom)} ({reason}): "
            f"on hand {qty(after - delta)} → {qty(after, part.uom)}.{reorder_note(result)}"
        )
        return record_of("adjustment", part, result, summary)

    def clear_quantity(self) -> None:
        self.quantity.clear()
        self.details.clear()


class TransferForm(PostingForm):
    """Stock moved from the page's location to another: part, destination, quantity."""

    key = "transfer"
    title = "Transfer"

    def __init__(
        self,
        ctx: AppContext,
        location_id: Callable[[], int | None],
        location_code: Callable[[], str],
        to_combo: QComboBox,
    ) -> None:
        super().__init__(ctx, location_id, location_code)
        self.to_location = to_combo
        self.to_location.setObjectName("transferTo")
        self.quantity = QuantityField("transfer", what="transferred quantity")
        self.reference = QLineEdit()
        self.reference.setObjectName("transferReference")
        self.reference.setPlaceholderText("optional: a transfer number is made up when empty")
        self.from_label = QLabel("")
        self.from_label.setObjectName("transferFrom")
        self.form.addRow("From", self.from_label)
        self.form.addRow("To", self.to_location)
        self.form.addRow("Part", self.part)
        self.form.addRow("Quantity", self.quantity)
        self.form.addRow("Reference", self.reference)
        self.post_button.setText("Post transfer")
        self.part.found.connect(self._part_found)
        self.quantity.edit.returnPressed.connect(self.post)

    def location_changed(self) -> None:
        """The page's location is where the stock comes from."""
        self.from_label.setText(f"<b>{self.location_code() or '—'}</b> (the location chosen above)")

    def _part_found(self, part: PartAt) -> None:
        self.quantity.set_part(part)
        self.quantity.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def make_posting(self) -> PostingRecord:
        source = self._location()
        target = self.to_location.currentData()
        if target is None:
            raise ValidationError("choose where the stock goes")
        if target == source:
            raise ValidationError(f"a transfer needs two different locations, got {self.location_code()} twice")
        part = self.part.resolve()
        self.quantity.set_part(part)
        amount = self.quantity.value()
        result = stock.transfer(
            self.ctx.db,
            self.ctx.actor,
            part.sku_id,
            source,
            target,
            amount,
            reference=self.reference.text().strip(),
        )
        out, into = result.postings
        to_code = self.to_location.currentText()
        summary = (
            f"Moved {qty(amount, part.uom)} of {part.part_number} from {part.location} to {to_code}: "
            f"{part.location} {qty(out.on_hand_after - out.quantity)} → {qty(out.on_hand_after)}, "
            f"{to_code} {qty(into.on_hand_after - into.quantity)} → {qty(into.on_hand_after, part.uom)}."
            f"{reorder_note(result)}"
        )
        record = record_of("transfer", part, result, summary)
        record.location = f"{part.location} → {to_code}"
        return record

    def clear_quantity(self) -> None:
        self.quantity.clear()
        self.reference.clear()
