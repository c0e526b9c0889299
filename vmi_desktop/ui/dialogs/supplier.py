"""A supplier's answers in the window: acknowledge, ship, raise an order, propose thresholds.

Each dialog calls the same application command as the supplier's sync does (``commands.orders``,
``commands.thresholds``), so an order raised here is accepted within max and held above it exactly
as one arriving as an ``order.created`` event. Numbers are read in the user's locale; what is refused
is said in the dialog, and everything typed stays there to be corrected.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds
from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.models import Shipment
from vmi_desktop.queries.orders import AgreementSku, OrderDetail, agreement_skus, location_choices
from vmi_desktop.queries.supplier import PairTerms
from vmi_desktop.replenishment.supplier_orders import SupplierLine, SupplierOrderOutcome
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import edit_on_typing, error_label, ok_cancel_buttons, quantity_cell, show_matching_skus

#: The raise-order table's column the quantity is typed into.
QUANTITY_COLUMN = 4


def parse_day(text: str, what: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None for an empty field."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what} {text!r} is not a date written YYYY-MM-DD") from None


def _readonly(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _line_edit(name: str, text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


class AcknowledgeDialog(QDialog):
    """Accept an order as it is, with changed quantities and dates per line, or reject it with a reason."""

    def __init__(self, ctx: AppContext, order: OrderDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order = order
        self.setWindowTitle(f"Acknowledge {order.po_number}")
        self.accept_radio = QRadioButton("Accept as ordered")
        self.change_radio = QRadioButton("Accept with the quantities and dates below")
        self.reject_radio = QRadioButton("Reject")
        for name, radio in (
            ("accept", self.accept_radio),
            ("change", self.change_radio),
            ("reject", self.reject_radio),
        ):
            radio.setObjectName(name)
        group = QButtonGroup(self)
        for radio in (self.accept_radio, self.change_radio, self.reject_radio):
            group.addButton(radio)
        self.accept_radio.setChecked(True)
        columns = ["Line", "SKU", "Ordered", "Quantity", "Delivery (YYYY-MM-DD)"]
        open_lines = [ln for ln in order.lines if ln.status == "open"]
        self.table = QTableWidget(len(open_lines), len(columns))
        self.table.setObjectName("lines")
        self.table.setHorizontalHeaderLabels(columns)
        self.table.verticalHeader().setVisible(False)
        self.quantities: dict[int, QLineEdit] = {}
        self.deliveries: dict[int, QLineEdit] = {}
        for r, line in enumerate(open_lines):
            self.table.setItem(r, 0, _readonly(str(line.line_no)))
            self.table.setItem(r, 1, _readonly(line.part_number))
            self.table.setItem(r, 2, _readonly(format_decimal(line.ordered), right=True))
            shown = line.acknowledged if line.acknowledged is not None else line.ordered
            quantity = _line_edit(f"quantity_{line.line_no}", format_decimal(shown, grouping=False))
            quantity.setAlignment(Qt.AlignmentFlag.AlignRight)
            delivery = _line_edit(f"delivery_{line.line_no}", placeholder="unchanged")
            self.quantities[line.line_no] = quantity
            self.deliveries[line.line_no] = delivery
            self.table.setCellWidget(r, 3, quantity)
            self.table.setCellWidget(r, 4, delivery)
            quantity.textEdited.connect(lambda _t: self.change_radio.setChecked(True))
            delivery.textEdited.connect(lambda _t: self.change_radio.setChecked(True))
        self.table.resizeColumnsToContents()
        self.reason = _line_edit("reason", placeholder="why (needed to reject or change)")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{order.po_number} to {order.location}, {len(order.lines)} line(s)"))
        for radio in (self.accept_radio, self.change_radio, self.reject_radio):
            layout.addWidget(radio)
        layout.addWidget(self.table)
        form = QFormLayout()
        form.addRow("Reason", self.reason)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Send answer"))

    @property
    def status(self) -> str:
        if self.reject_radio.isChecked():
            return "rejected"
        return "changed" if self.change_radio.isChecked() else "accepted"

    def accept(self) -> None:
        try:
            status, reason = self.status, self.reason.text().strip()
            lines: dict[int, tuple[Decimal, date | None]] | None = None
            if status in ("rejected", "changed") and not reason:
                raise ValidationError(f"say why the order is {status}")
            if status == "changed":
                lines = {
                    no: (
                        parse_decimal(edit.text(), what=f"quantity of line {no}"),
                        parse_day(self.deliveries[no].text(), f"delivery of line {no}"),
                    )
                    for no, edit in self.quantities.items()
                }
            order_commands.acknowledge(
                self.ctx.db, self.ctx.actor, self.order.id, status=status, lines=lines, reason=reason
            )
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class ShipDialog(QDialog):
    """An advance ship notice: what leaves now per line, carrier, tracking and ETA."""

    def __init__(self, ctx: AppContext, order: OrderDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order = order
        self.shipment: Shipment | None = None
        self.setWindowTitle(f"Ship {order.po_number}")
        columns = ["Line", "SKU", "To ship", "Shipped", "Ship now"]
        open_lines = [ln for ln in order.lines if ln.status == "open"]
        self.table = QTableWidget(len(open_lines), len(columns))
        self.table.setObjectName("lines")
        self.table.setHorizontalHeaderLabels(columns)
        self.table.verticalHeader().setVisible(False)
        self.edits: dict[int, QLineEdit] = {}
        for r, line in enumerate(open_lines):
            expected = line.acknowledged if line.acknowledged is not None else line.ordered
            remaining = max(Decimal(0), expected - line.shipped)
            self.table.setItem(r, 0, _readonly(str(line.line_no)))
            self.table.setItem(r, 1, _readonly(line.part_number))
            self.table.setItem(r, 2, _readonly(format_decimal(expected), right=True))
            self.table.setItem(r, 3, _readonly(format_decimal(line.shipped), right=True))
            edit = _line_edit(
                f"ship_line_{line.line_no}", format_decimal(remaining, grouping=False) if remaining else ""
            )
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.edits[line.line_no] = edit
            self.table.setCellWidget(r, 4, edit)
        self.table.resizeColumnsToContents()
        self.shipment_id = _line_edit("shipmentId", f"ASN-{order.po_number}-{datetime.now(UTC):%Y%m%d%H%M}")
        self.carrier = _line_edit("carrier", placeholder="e.g. DHL")
        self.tracking = _line_edit("tracking")
        self.eta = _line_edit("eta", placeholder="YYYY-MM-DD")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Shipment id", self.shipment_id)
        form.addRow("Carrier", self.carrier)
        form.addRow("Tracking", self.tracking)
        form.addRow("ETA", self.eta)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{order.po_number} to {order.location}: leave a line empty if nothing of it ships"))
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Send ship notice"))

    def accept(self) -> None:
        try:
            lines = {
                no: parse_decimal(edit.text(), what=f"quantity of line {no}")
                for no, edit in self.edits.items()
                if edit.text().strip()
            }
            if not lines:
                raise ValidationError("nothing to ship: enter a quantity for at least one line")
            shipment_id = self.shipment_id.text().strip()
            if not shipment_id:
                raise ValidationError("a ship notice needs its shipment id")
            self.shipment = order_commands.ship(
                self.ctx.db,
                self.ctx.actor,
                self.order.id,
                shipment_id=shipment_id[:100],
                lines=lines,
                carrier=self.carrier.text().strip()[:100],
                tracking=self.tracking.text().strip()[:100],
                eta=parse_day(self.eta.text(), "ETA"),
            )
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class RaiseOrderDialog(QDialog):
    """A replenishment order the supplier raises itself: accepted within max, held above it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.outcome: SupplierOrderOutcome | None = None
        self.skus: list[AgreementSku] = []
        self.setWindowTitle("Raise a replenishment order")
        self.location = QComboBox()
        self.location.setObjectName("location")
        with ctx.db.sessions() as session:
            for choice in location_choices(session, ctx.actor):
                self.location.addItem(f"{choice.code} — {choice.name}", choice.id)
        self.order_id = _line_edit("supplierOrderId", f"APP-{datetime.now(UTC):%Y%m%d-%H%M%S}")
        self.delivery = _line_edit("delivery", placeholder="YYYY-MM-DD (optional)")
        columns = ["SKU", "Description", "Your part", "Pack", "Quantity"]
        self.table = QTableWidget(0, len(columns))
        self.table.setObjectName("lines")
        self.table.setHorizontalHeaderLabels(columns)
        self.table.verticalHeader().setVisible(False)
        # the quantity is typed into its cell, as in the new-order dialog: a location can hold thousands of a
        # supplier's SKUs, and a line-edit widget per row took 1.75 s to open at 5,000
        edit_on_typing(self.table)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.error = error_label()
        #: A location can hold thousands of a supplier's SKUs: the rows whose part, description or own part
        #: number hold the text stay shown (typed quantities of hidden rows are kept and ordered).
        self.find_sku = _line_edit("findSku", placeholder="part number, description or your part number")
        self.find_sku.textChanged.connect(lambda _t: self._filter_rows())
        form = QFormLayout()
        form.addRow("Location", self.location)
        form.addRow("Your order id", self.order_id)
        form.addRow("Expected delivery", self.delivery)
        form.addRow("Find a SKU", self.find_sku)
        layout = QVBoxLayout(self)
        note = QLabel(
            "Orders within your agreements' max are accepted at once; an order lifting the inventory position "
            "above max waits for the parts manager's decision."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Raise order"))
        self.location.currentIndexChanged.connect(lambda _i: self._load_skus())
        self._load_skus()
        self.resize(640, 420)

    def _load_skus(self) -> None:
        location_id = self.location.currentData()
        self.skus = []
        if location_id is not None and self.ctx.actor.vendor_id is not None:
            with self.ctx.db.sessions() as session:
                self.skus = agreement_skus(session, self.ctx.actor, self.ctx.actor.vendor_id, location_id)
        self.table.setRowCount(len(self.skus))
        for r, sku in enumerate(self.skus):
            self.table.setItem(r, 0, _readonly(sku.part_number))
            self.table.setItem(r, 1, _readonly(sku.description))
            self.table.setItem(r, 2, _readonly(sku.supplier_sku))
            self.table.setItem(r, 3, _readonly(format_decimal(sku.pack_size), right=True))
            self.table.setItem(
                r, QUANTITY_COLUMN, quantity_cell(f"type the quantity (pack {format_decimal(sku.pack_size)})")
            )
        self.table.resizeColumnsToContents()
        self._filter_rows()

    def _filter_rows(self) -> None:
        show_matching_skus(self.table, self.skus, self.find_sku.text())

    def shown_part_numbers(self) -> list[str]:
        """The SKUs the table shows now (the find box's filter applied)."""
        return [sku.part_number for r, sku in enumerate(self.skus) if not self.table.isRowHidden(r)]

    def set_quantity(self, part_number: str, text: str) -> None:
        """Type a quantity for one SKU (keyboard users and tests)."""
        for r, sku in enumerate(self.skus):
            if sku.part_number == part_number:
                self._quantity(r).setText(text)
                return
        raise KeyError(part_number)

    def _quantity(self, row: int) -> QTableWidgetItem:
        item = self.table.item(row, QUANTITY_COLUMN)
        assert item is not None  # every row has its quantity cell
        return item

    def typed(self) -> list[tuple[AgreementSku, str]]:
        """The SKUs with a quantity typed (hidden rows included), in the table's order."""
        typed = ((sku, self._quantity(r).text().strip()) for r, sku in enumerate(self.skus))
        return [(sku, text) for sku, text in typed if text]

    def accept(self) -> None:
        try:
            delivery = parse_day(self.delivery.text(), "expected delivery")
            lines = [
                SupplierLine(
                    line=n,
                    sku=sku.part_number,
                    quantity=parse_decimal(text, what=f"quantity of {sku.part_number}"),
                    expected_delivery=delivery,
                )
                for n, (sku, text) in enumerate(self.typed(), start=1)
            ]
            if not lines:
                raise ValidationError("enter a quantity for at least one SKU")
            code = self.location.currentText().split(" — ")[0]
            outcome = order_commands.raise_supplier_order(
                self.ctx.db,
                self.ctx.actor,
                supplier_order_id=self.order_id.text().strip(),
                location_code=code,
                lines=lines,
            )
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        self.outcome = outcome
        if outcome.status == "rejected":
            self.error.setText(f"Rejected: {outcome.reason}")
            return
        super().accept()


class ProposeThresholdsDialog(QDialog):
    """New min and max for one of the supplier's agreements, with the reason; the parts manager decides."""

    def __init__(self, ctx: AppContext, pair: PairTerms, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pair = pair
        self.proposal_id: int | None = None
        self.setWindowTitle(f"Propose thresholds — {pair.part_number} at {pair.location}")
        self.min_edit = _line_edit("min", format_decimal(pair.min_qty, grouping=False))
        self.max_edit = _line_edit("max", format_decimal(pair.max_qty, grouping=False))
        self.reason = _line_edit("reason", placeholder="why (usage trend, lead time, season…)")
        self.error = error_label()
        form = QFormLayout()
        form.addRow(
            "Now", QLabel(f"min {format_decimal(pair.min_qty)} / max {format_decimal(pair.max_qty)} {pair.uom}")
        )
        form.addRow("New min", self.min_edit)
        form.addRow("New max", self.max_edit)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Send proposal"))

    def accept(self) -> None:
        try:
            reason = self.reason.text().strip()
            if not reason:
                raise ValidationError("say why the thresholds should change")
            proposal = ProposedThresholds(
                self.pair.agreement_id,
                parse_decimal(self.min_edit.text(), what="new min"),
                parse_decimal(self.max_edit.text(), what="new max"),
                reason,
            )
            (self.proposal_id,) = propose_thresholds(self.ctx.db, self.ctx.actor, [proposal])
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
