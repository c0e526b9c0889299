"""The part page: everything about one SKU (stock per location, movements, orders, agreements, charts)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from vmi_desktop.ui.context import AppContext


class PartPage(QWidget):
    """One SKU; ``show_part`` loads it (the location's row first when given)."""

    status_message = Signal(str)
    #: (sku_id, location_id or None) once the page shows that part.
    part_loaded = Signal(int, object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sku_id: int | None = None
        self.location_id: int | None = None
        self.header = QLabel("Open a part from any table (double-click or Enter on a row).")
        self.header.setObjectName("partHeader")
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addStretch(1)

    def show_part(self, sku_id: int, location_id: int | None = None) -> None:
        """Load and show ``sku_id``."""
        self.sku_id, self.location_id = sku_id, location_id
        self.part_loaded.emit(sku_id, location_id)
