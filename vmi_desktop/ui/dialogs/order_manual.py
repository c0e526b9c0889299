"""Create a purchase order by hand: vendor, location, and lines from that vendor's agreements.

Each agreed SKU shows what deciding a quantity needs (on hand, on order, min, max, pack, MOQ and
the quantity the reorder rule suggests); a search box narrows a long list; the quantity is typed
into its cell (parsed in the user's locale), or "Use suggested" fills every suggested quantity.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.models import POOrigin
from vmi_desktop.queries.orders import OrderCandidate, location_choices, order_candidates, vendor_choices
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import edit_on_typing, error_label, ok_cancel_buttons, quantity_cell, show_matching_skus

COLUMNS = ("SKU", "Description", "On hand", "On order", "Min", "Max", "Suggested", "Pack", "MOQ", "Price", "Quantity")
QUANTITY = len(COLUMNS) - 1
_BELOW_MIN = QColor(176, 0, 32)


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
        self.search = QLineEdit()
        self.search.setObjectName("skuSearch")
        self.search.setPlaceholderText("Search part number, description or supplier part")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._filter())
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("orderLines")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        edit_on_typing(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.shown_label = QLabel("")
        self.shown_label.setObjectName("shownCount")
        self.skus: list[OrderCandidate] = []
        self.error = error_label()
        self.buttons = ok_cancel_buttons(self, "Create order")
        suggest = self.buttons.addButton("Use suggested", QDialogButtonBox.ButtonRole.ActionRole)
        suggest.setObjectName("useSuggested")
        suggest.setToolTip(
            "Fill every empty quantity with the suggested one: for SKUs at or below min, max minus the "
            "position, in whole packs and at least the MOQ"
        )
        suggest.clicked.connect(self.use_suggested)
        form = QFormLayout()
        form.addRow("Vendor", self.vendor)
        form.addRow("Location", self.location)
        form.addRow("Note", self.note)
        form.addRow("", self.send_now)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.shown_label)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.vendor.currentIndexChanged.connect(lambda _i: self.load_skus())
        self.location.currentIndexChanged.connect(lambda _i: self.load_skus())
        self.load_skus()
        self.resize(980, 560)

    def choose(self, vendor_code: str, location_code: str) -> None:
        """Select vendor and location by code (keyboard users type; tests call this)."""
        for combo, code in ((self.vendor, vendor_code), (self.location, location_code)):
            for i in range(combo.count()):
                if combo.itemText(i).split(" — ")[0] == code:
                    combo.setCurrentIndex(i)
        self.load_skus()

    def load_skus(self) -> None:
        """List the SKUs the chosen vendor supplies at the chosen location, with stock and thresholds."""
        vendor_id, location_id = self.vendor.currentData(), self.location.currentData()
        self.skus = []
        if vendor_id is not None and location_id is not None:
            with self.ctx.db.sessions() as session:
                self.skus = order_candidates(session, self.ctx.actor, vendor_id, location_id)
        self.table.setRowCount(len(self.skus))
        for r, sku in enumerate(self.skus):
            values = [
                sku.part_number,
                sku.description,
                format_decimal(sku.on_hand),
                format_decimal(sku.on_order),
                format_decimal(sku.min_qty),
                format_decimal(sku.max_qty),
                format_decimal(sku.suggested) if sku.suggested else "",
                format_decimal(sku.pack_size),
                format_decimal(sku.moq),
                format_decimal(sku.unit_price, trailing_zeros=True),
            ]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 2 and sku.position <= sku.min_qty:
                    item.setForeground(QBrush(_BELOW_MIN))
                    item.setToolTip(f"position {format_decimal(sku.position)} is at or below min")
                self.table.setItem(r, c, item)
            self.table.setItem(
                r, QUANTITY, quantity_cell(f"type the quantity (pack {format_decimal(sku.pack_size)} {sku.uom})")
            )
        self.error.setText("" if self.skus else "This vendor has no active agreement at this location.")
        self._filter()

    def _filter(self) -> None:
        shown = show_matching_skus(self.table, self.skus, self.search.text())
        self.shown_label.setText(f"{shown} of {len(self.skus)} agreed SKU(s) shown")

    def _row(self, part_number: str) -> int:
        return next(r for r, s in enumerate(self.skus) if s.part_number == part_number)

    def quantity_text(self, part_number: str) -> str:
        item = self.table.item(self._row(part_number), QUANTITY)
        return item.text() if item is not None else ""

    def set_quantity(self, part_number: str, text: str) -> None:
        item = self.table.item(self._row(part_number), QUANTITY)
        assert item is not None
        item.setText(text)

    def use_suggested(self) -> int:
        """Fill each empty quantity with the suggested one; returns how many were filled."""
        filled = 0
        for r, sku in enumerate(self.skus):
            item = self.table.item(r, QUANTITY)
            if item is not None and not item.text().strip() and sku.suggested > 0:
                item.setText(format_decimal(sku.suggested, grouping=False))
                filled += 1
        return filled

    def lines(self) -> list[tuple[OrderCandidate, Decimal]]:
        """The typed quantities (hidden rows included); a bad number raises with the SKU named."""
        found: list[tuple[OrderCandidate, Decimal]] = []
        for r, sku in enumerate(self.skus):
            item = self.table.item(r, QUANTITY)
            text = item.text().strip() if item is not None else ""
            if text:
                found.append((sku, parse_decimal(text, what=f"quantity of {sku.part_number}")))
        return found

    def accept(self) -> None:
        """Create the order (and approve it when asked) in one transaction; errors stay in the dialog."""
        from vmi_desktop.commands import orders as order_commands
        from vmi_desktop.replenishment import orders as po_api

        try:
            typed = self.lines()
            if not typed:
                raise ValidationError("enter a quantity for at least one SKU")
            po = order_commands.create(
                self.ctx.db,
                self.ctx.actor,
                vendor_id=self.vendor.currentData(),
                location_id=self.location.currentData(),
                lines=[po_api.NewLine(sku_id=sku.sku_id, quantity=q) for sku, q in typed],
                origin=POOrigin.MANUAL,
                send=self.send_now.isChecked() and self.send_now.isEnabled(),
                note=self.note.text().strip(),
            )
            self.created_po_number, self.created_po_id = po.po_number, po.id
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

    @property
    def edits(self) -> dict[str, str]:
        """The quantity typed per part number (empty where none)."""
        return {sku.part_number: self.quantity_text(sku.part_number) for sku in self.skus}
