"""Create a purchase order by hand: vendor, location, and lines from that vendor's agreements."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.errors import VmiError
from vmi_desktop.models import POOrigin
from vmi_desktop.queries.orders import AgreementSku, agreement_skus, location_choices, vendor_choices
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import error_label, ok_cancel_buttons


class ManualOrderDialog(QDialog):
    """Pick a vendor and location, type quantities next to the agreed SKUs, create the order."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.created_po_number: str | None = None
        self.created_po_id: int | None = None
        self.setWindowTitle("New purchase order")
        with ctx.db.sessions() as session:
            self._vendors = vendor_choices(session, ctx.actor)
            self._locations = location_choices(session, ctx.actor)
        self.vendor = QComboBox()
        self.vendor.setObjectName("vendor")
        for v in self._vendors:
            self.vendor.addItem(f"{v.code} — {v.name}", v.id)
        self.location = QComboBox()
        self.location.setObjectName("location")
        for loc in self._locations:
            self.location.addItem(f"{loc.code} — {loc.name}", loc.id)
        self.note = QLineEdit()
        self.send_now = QCheckBox("Approve and send now")
        self.send_now.setChecked(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["SKU", "Description", "Agreed price", "Quantity"])
        self.table.verticalHeader().setVisible(False)
        self.skus: list[AgreementSku] = []
        self.edits: dict[str, QLineEdit] = {}
        self.error = error_label()
        self.buttons = ok_cancel_buttons(self, "Create order")
        form = QFormLayout()
        form.addRow("Vendor", self.vendor)
        form.addRow("Location", self.location)
        form.addRow("Note", self.note)
        form.addRow("", self.send_now)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.vendor.currentIndexChanged.connect(lambda _i: self.load_skus())
        self.location.currentIndexChanged.connect(lambda _i: self.load_skus())
        self.load_skus()
        self.resize(700, 420)

    def choose(self, vendor_code: str, location_code: str) -> None:
        """Select vendor and location by code (keyboard users type; tests call this)."""
        for combo, code in ((self.vendor, vendor_code), (self.location, location_code)):
            for i in range(combo.count()):
                if combo.itemText(i).split(" — ")[0] == code:
                    combo.setCurrentIndex(i)
        self.load_skus()

    def load_skus(self) -> None:
        """List the SKUs the chosen vendor supplies at the chosen location."""
        vendor_id, location_id = self.vendor.currentData(), self.location.currentData()
        self.skus = []
        if vendor_id is not None and location_id is not None:
            with self.ctx.db.sessions() as session:
                self.skus = agreement_skus(session, vendor_id, location_id)
        self.table.setRowCount(len(self.skus))
        self.edits = {}
        for r, sku in enumerate(self.skus):
            for c, text in enumerate([sku.part_number, sku.description, format_decimal(sku.unit_price)]):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
            edit = QLineEdit()
            edit.setPlaceholderText(f"pack {format_decimal(sku.pack_size)}")
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.edits[sku.part_number] = edit
            self.table.setCellWidget(r, 3, edit)
        self.table.resizeColumnsToContents()
        self.error.setText("" if self.skus else "This vendor has no active agreement at this location.")

    def set_quantity(self, part_number: str, text: str) -> None:
        self.edits[part_number].setText(text)

    def accept(self) -> None:
        """Create the order (and approve it when asked) in one transaction; errors stay in the dialog."""
        from vmi_desktop.commands import orders as order_commands
        from vmi_desktop.replenishment import orders as po_api

        try:
            lines = []
            for sku in self.skus:
                text = self.edits[sku.part_number].text().strip()
                if text:
                    qty = parse_decimal(text, what=f"quantity of {sku.part_number}")
                    lines.append(po_api.NewLine(sku_id=sku.sku_id, quantity=qty))
            if not lines:
                raise VmiError("enter a quantity for at least one SKU")
            po = order_commands.create(
                self.ctx.db,
                self.ctx.actor,
                vendor_id=self.vendor.currentData(),
                location_id=self.location.currentData(),
                lines=lines,
                origin=POOrigin.MANUAL,
                send=self.send_now.isChecked() and self.send_now.isEnabled(),
                note=self.note.text().strip(),
            )
            self.created_po_number, self.created_po_id = po.po_number, po.id
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
