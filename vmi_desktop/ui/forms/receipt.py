"""Goods in: against an order (scan the PO, then each part and its quantity) or without one.

Against an order, each scanned part fills its line's "receive now"; a line may be closed short
(the rest will not come: it leaves the position) and an over-delivery is accepted with a reason.
The whole receipt posts through ``commands.orders.receive``: nothing is written when any line is
refused. Without an order, part and quantity post at once through ``commands.stock.receive``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from vmi_desktop import order_status
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import POStatus, utcnow
from vmi_desktop.queries.orders import LineRow, OrderDetail
from vmi_desktop.queries.stock_forms import PartAt, order_to_receive, receipt_movements
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.forms.fields import PostingRecord, QuantityField, qty, record_of
from vmi_desktop.ui.forms.postings import PostingForm, reorder_note
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import edit_on_typing

_COLUMNS = ["Line", "SKU", "Description", "Expected", "Received", "Open", "Receive now", "Close short"]
RECEIVE_COLUMN, CLOSE_COLUMN = 6, 7

NOT_REVERSIBLE = (
    "a receipt against an order is not reversed here (the order and the supplier count it as received); "
    "post an adjustment with the reason"
)


class ReceiptForm(PostingForm):
    """Receipt against an order (lines table) or without one (part, quantity, delivery note)."""

    key = "receive"
    title = "Receive"

    def __init__(
        self, ctx: AppContext, location_id: Callable[[], int | None], location_code: Callable[[], str]
    ) -> None:
        super().__init__(ctx, location_id, location_code)
        self.order: OrderDetail | None = None
        self.order_edit = QLineEdit()
        self.order_edit.setObjectName("receiveOrder")
        self.order_edit.setPlaceholderText("scan or type the PO number, Enter — leave empty for goods without an order")
        self.order_edit.setClearButtonEnabled(True)
        self.clear_order_button = QPushButton("No order")
        self.clear_order_button.setObjectName("receiveNoOrder")
        self.clear_order_button.setToolTip("Receive goods that came without an order")
        self.clear_order_button.clicked.connect(self.clear_order)
        order_row = QWidget()
        row = QHBoxLayout(order_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.order_edit, 1)
        row.addWidget(self.clear_order_button)
        self.order_info = QLabel("Without an order: the quantity posts as soon as you press Enter.")
        self.order_info.setObjectName("receiveOrderInfo")
        self.order_info.setWordWrap(True)
        self.lines = QTableWidget(0, len(_COLUMNS))
        self.lines.setObjectName("receiveLines")
        self.lines.setHorizontalHeaderLabels(_COLUMNS)
        self.lines.verticalHeader().setVisible(False)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        edit_on_typing(self.lines)
        self.lines.hide()
        self.lines.itemChanged.connect(lambda _item: self._update_over())
        self.quantity = QuantityField("receive", what="received quantity")
        self.reference = QLineEdit()
        self.reference.setObjectName("receiveReference")
        self.reference.setPlaceholderText("delivery note (without an order)")
        self.over_reason = QLineEdit()
        self.over_reason.setObjectName("receiveOverReason")
        self.over_reason.setPlaceholderText("why more than ordered is accepted (required when a line is over)")
        self.over_label = QLabel("Over-delivery")
        self.form.addRow("Order", order_row)
        self.form.addRow("", self.order_info)
        self.form.addRow(self.lines)
        self.form.addRow("Part", self.part)
        self.form.addRow("Quantity", self.quantity)
        self.form.addRow("Delivery note", self.reference)
        self.form.addRow(self.over_label, self.over_reason)
        self.over_label.hide()
        self.over_reason.hide()
        self.post_button.setText("Post receipt")
        self.order_edit.returnPressed.connect(self.load_order)
        self.part.found.connect(self._part_found)
        self.quantity.edit.returnPressed.connect(self._quantity_entered)

    # -- order mode ------------------------------------------------------------------------------

    def focus_first(self) -> None:
        if self.order is None and not self.order_edit.text().strip():
            self.order_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            super().focus_first()

    def load_order(self) -> OrderDetail | None:
        """Look up the typed PO and list its lines (refused: unknown, or not open for goods)."""
        text = self.order_edit.text().strip()
        self.error.hide()
        if not text:
            self.clear_order()
            self.part.edit.setFocus()
            return None
        with self.ctx.db.sessions() as session:
            order = order_to_receive(session, self.ctx.actor, text)
        if order is None:
            self._refuse(f"No purchase order {text!r}.")
            return None
        if order.status not in order_status.RECEIVABLE:
            self._refuse(f"{order.po_number} is {order.status.value.replace('_', ' ')}; goods cannot be received.")
            return None
        self.show_order(order)
        self.part.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return order

    def _refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def show_order(self, order: OrderDetail) -> None:
        """List the order's lines with what is still open; the part field now fills them."""
        self.order = order
        self.order_edit.setText(order.po_number)
        here = self.location_id()
        elsewhere = f" (not the location chosen above: {self.location_code()})" if here != order.location_id else ""
        self.order_info.setText(
            f"<b>{order.po_number}</b> from {order.vendor} to <b>{order.location}</b>{elsewhere} · "
            f"{order.status.value.replace('_', ' ')} · scan each part and type what arrived; tick "
            "<i>Close short</i> where the rest will not come."
        )
        self.reference.setEnabled(False)
        self.lines.blockSignals(True)
        self.lines.setRowCount(len(order.lines))
        for r, line in enumerate(order.lines):
            open_ = line.open_quantity if line.status == "open" else Decimal(0)
            expected = line.acknowledged if line.acknowledged is not None else line.ordered
            for c, text in enumerate(
                [
                    str(line.line_no),
                    line.part_number,
                    line.description,
                    qty(expected, line.uom),
                    format_decimal(line.received),
                    format_decimal(open_),
                ]
            ):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.lines.setItem(r, c, item)
            receive = QTableWidgetItem("")
            receive.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            close = QTableWidgetItem("")
            close.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            close.setCheckState(Qt.CheckState.Unchecked)
            if line.status != "open":
                receive.setFlags(Qt.ItemFlag.ItemIsEnabled)
                close.setFlags(Qt.ItemFlag.NoItemFlags)
                receive.setText("closed")
            self.lines.setItem(r, RECEIVE_COLUMN, receive)
            self.lines.setItem(r, CLOSE_COLUMN, close)
        self.lines.resizeColumnsToContents()
        self.lines.setMinimumHeight(min(8, len(order.lines) + 1) * 26 + 8)
        self.lines.blockSignals(False)
        self.lines.show()
        self._update_over()

    def clear_order(self) -> None:
        """Back to goods without an order."""
        self.order = None
        self.order_edit.clear()
        self.lines.setRowCount(0)
        self.lines.hide()
        self.reference.setEnabled(True)
        self.order_info.setText("Without an order: the quantity posts as soon as you press Enter.")
        self.over_reason.clear()
        self._update_over()

    def _row_of_line(self, line_no: int) -> int:
        assert self.order is not None
        return next(r for r, ln in enumerate(self.order.lines) if ln.line_no == line_no)

    def set_receive(self, line_no: int, text: str) -> None:
        """Type what arrived for a line (what a user does in the table; tests too)."""
        item = self.lines.item(self._row_of_line(line_no), RECEIVE_COLUMN)
        assert item is not None
        item.setText(text)

    def set_close_short(self, line_no: int, close: bool = True) -> None:
        """Tick (or untick) Close short for a line."""
        item = self.lines.item(self._row_of_line(line_no), CLOSE_COLUMN)
        assert item is not None
        item.setCheckState(Qt.CheckState.Checked if close else Qt.CheckState.Unchecked)

    def _line_for(self, part: PartAt) -> LineRow | None:
        assert self.order is not None
        return next((ln for ln in self.order.lines if ln.sku_id == part.sku_id and ln.status == "open"), None)

    def _part_found(self, part: PartAt) -> None:
        if self.order is not None and self._line_for(part) is None:
            self._refuse(f"{part.part_number} is not an open line of {self.order.po_number}.")
            return
        self.error.hide()
        self.quantity.set_part(part)
        self.quantity.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.quantity.edit.selectAll()

    def _quantity_entered(self) -> None:
        if self.order is None:
            self.post()
            return
        try:
            part = self.part.resolve()
            line = self._line_for(part)
            if line is None:
                raise ValidationError(f"{part.part_number} is not an open line of {self.order.po_number}")
            self.quantity.set_part(part)
            amount = self.quantity.value()
        except ValidationError as exc:
            self._refuse(str(exc))
            return
        self.set_receive(line.line_no, format_decimal(amount, grouping=False))
        self.error.hide()
        self.part.clear()
        self.quantity.clear()
        self.part.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def typed_lines(self) -> tuple[dict[int, Decimal], set[int], bool]:
        """Quantities by line, lines to close short, and whether any line is over what it still expects."""
        assert self.order is not None
        quantities: dict[int, Decimal] = {}
        closing: set[int] = set()
        over = False
        for r, line in enumerate(self.order.lines):
            if line.status != "open":
                continue
            receive, close = self.lines.item(r, RECEIVE_COLUMN), self.lines.item(r, CLOSE_COLUMN)
            text = receive.text().strip() if receive is not None else ""
            if text:
                amount = parse_decimal(text, what=f"received quantity of line {line.line_no}")
                if amount > 0:
                    quantities[line.line_no] = amount
                    over = over or amount > line.open_quantity
            if close is not None and close.checkState() == Qt.CheckState.Checked:
                closing.add(line.line_no)
        return quantities, closing, over

    def _update_over(self) -> None:
        try:
            over = self.order is not None and self.typed_lines()[2]
        except ValidationError:
            over = False
        self.over_label.setVisible(over)
        self.over_reason.setVisible(over)

    # -- posting ---------------------------------------------------------------------------------

    def make_posting(self) -> PostingRecord:
        if self.order is None:
            return self._receive_without_order()
        order = self.order
        quantities, closing, _over = self.typed_lines()
        if not quantities:
            raise ValidationError("type what arrived for at least one line (scan a part, then its quantity)")
        receipt = order_commands.receive(
            self.ctx.db,
            self.ctx.actor,
            order.id,
            quantities,
            over_reason=self.over_reason.text().strip() if self.over_reason.isVisible() else "",
            close_short=closing,
        )
        with self.ctx.db.sessions() as session:
            moved = receipt_movements(session, self.ctx.actor, receipt.id)
        parts = [f"{m.part_number} +{qty(m.quantity, m.uom)} (on hand {qty(m.on_hand_after)})" for m in moved]
        closed = f" Closed short: line {', '.join(str(n) for n in sorted(closing))}." if closing else ""
        summary = f"Received {receipt.receipt_number} against {order.po_number} at {order.location}: " + (
            "; ".join(parts) + "." + closed
        )
        first = moved[0]
        record = PostingRecord(
            when=utcnow(),
            what="receipt",
            part_number=", ".join(m.part_number for m in moved),
            location=order.location,
            uom=first.uom,
            quantity=sum((m.quantity for m in moved), Decimal(0)),
            on_hand_before=first.on_hand_after - first.quantity,
            on_hand_after=first.on_hand_after,
            movement_ids=tuple(m.movement_id for m in moved),
            summary=summary,
            reference=f"{order.po_number} / {receipt.receipt_number}",
            not_reversible=NOT_REVERSIBLE,
        )
        self._reload_order(order.id)
        return record

    def _reload_order(self, po_id: int) -> None:
        from vmi_desktop.queries.orders import order_detail

        with self.ctx.db.sessions() as session:
            order = order_detail(session, self.ctx.actor, po_id)
        if order is not None and order.status in order_status.RECEIVABLE and order.status != POStatus.RECEIVED:
            self.show_order(order)
            self.over_reason.clear()
        else:
            self.clear_order()

    def _receive_without_order(self) -> PostingRecord:
        self._location()
        part = self.part.resolve()
        self.quantity.set_part(part)
        amount = self.quantity.value()
        reference = self.reference.text().strip()
        result = stock.receive(self.ctx.db, self.ctx.actor, part.sku_id, part.location_id, amount, reference=reference)
        after = result.posting.on_hand_after
        note = f" (delivery note {reference})" if reference else ""
        summary = (
            f"Received {qty(amount, part.uom)} of {part.part_number} at {part.location} without an order{note}: "
            f"on hand {qty(after - amount)} → {qty(after, part.uom)}.{reorder_note(result)}"
        )
        return record_of("receipt", part, result, summary, reference=reference)

    def clear_quantity(self) -> None:
        self.quantity.clear()
        if self.order is None:
            self.reference.clear()
