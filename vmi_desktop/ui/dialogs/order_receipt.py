"""Record goods received against an order: a quantity per line, partial receipts allowed.

The receipt is posted in one transaction by the order service; if it refuses
(more than is still open, a closed line, a bad number), the reason is shown
in the dialog and everything typed stays there to be corrected.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.errors import VmiError
from vmi_desktop.queries.orders import OrderDetail
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import error_label, ok_cancel_buttons

_COLUMNS = ["Line", "SKU", "Ordered", "Acknowledged", "Received", "Open", "Receive now"]


class ReceiptDialog(QDialog):
    """Per-line quantities to receive; OK posts them, errors keep the dialog open."""

    def __init__(self, ctx: AppContext, order: OrderDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order = order
        self.receipt_number: str | None = None
        self.setWindowTitle(f"Record receipt — {order.po_number}")
        self.table = QTableWidget(len(order.lines), len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.edits: dict[int, QLineEdit] = {}
        for r, line in enumerate(order.lines):
            values = [
                str(line.line_no),
                line.part_number,
                format_decimal(line.ordered),
                format_decimal(line.acknowledged) if line.acknowledged is not None else "",
                format_decimal(line.received),
                format_decimal(line.open_quantity),
            ]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
            edit = QLineEdit()
            edit.setObjectName(f"receive_line_{line.line_no}")
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setPlaceholderText("0")
            if line.status != "open" or line.open_quantity <= 0:
                edit.setEnabled(False)
            self.edits[line.line_no] = edit
            self.table.setCellWidget(r, len(_COLUMNS) - 1, edit)
        self.table.resizeColumnsToContents()
        self.error = error_label()
        self.buttons = ok_cancel_buttons(self, "Record receipt")
        fill = self.buttons.addButton("Receive all open", QDialogButtonBox.ButtonRole.ActionRole)
        fill.clicked.connect(self.fill_open)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"{order.po_number} from {order.vendor} to {order.location} — "
                "enter what arrived; leave a line empty if nothing came."
            )
        )
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(760, 320)

    def set_quantity(self, line_no: int, text: str) -> None:
        """Type a quantity for a line (what a user does; tests use it too)."""
        self.edits[line_no].setText(text)

    def fill_open(self) -> None:
        """Put each line's open quantity in its field."""
        for line in self.order.lines:
            if self.edits[line.line_no].isEnabled():
                self.edits[line.line_no].setText(format_decimal(line.open_quantity))

    def quantities(self) -> dict[int, Decimal]:
        """The typed quantities by line number; a bad number raises with the line named."""
        result: dict[int, Decimal] = {}
        for no, edit in self.edits.items():
            text = edit.text().strip()
            if not text or not edit.isEnabled():
                continue
            qty = parse_decimal(text, what=f"received quantity of line {no}")
            if qty > 0:
                result[no] = qty
        return result

    def accept(self) -> None:
        """Post the receipt; on refusal show why and stay open with the input intact."""
        from vmi_desktop.commands import orders as order_commands

        try:
            quantities = self.quantities()
            if not quantities:
                raise VmiError("enter a quantity for at least one line")
            receipt = order_commands.receive(self.ctx.db, self.ctx.actor, self.order.id, quantities)
            self.receipt_number = receipt.receipt_number
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        super().accept()
