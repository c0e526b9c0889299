"""Shared by the Stock and Agreements pages: the location filter and the bulk threshold edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox

from vmi_desktop.catalog_service import BulkResult
from vmi_desktop.queries.catalog import location_choices, vendor_choices
from vmi_desktop.scope import Action
from vmi_desktop.ui.dialogs.bulk import BulkThresholdDialog
from vmi_desktop.ui.pages.table_page import TablePage


class ThresholdsMixin(TablePage):
    """Location filter combo and 'Edit thresholds…' for the selected rows."""

    def add_location_filter(self) -> None:
        self.location_combo = QComboBox()
        self.location_combo.setObjectName("locationFilter")
        self.location_combo.addItem("All locations", None)
        with self.ctx.db.sessions() as session:
            for location_id, code in location_choices(session, self.ctx.actor):
                self.location_combo.addItem(code, location_id)
        self.location_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter("location_id", self.location_combo.currentData())
        )
        self.filters.addWidget(self.location_combo)

    def add_vendor_filter(self) -> None:
        self.vendor_combo = QComboBox()
        self.vendor_combo.setObjectName("vendorFilter")
        self.vendor_combo.addItem("All vendors", None)
        with self.ctx.db.sessions() as session:
            for vendor_id, code in vendor_choices(session, self.ctx.actor):
                self.vendor_combo.addItem(code, vendor_id)
        self.vendor_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter("vendor_id", self.vendor_combo.currentData())
        )
        self.filters.addWidget(self.vendor_combo)

    def add_bulk_button(self) -> None:
        allowed = self.ctx.can(Action.EDIT_AGREEMENTS)
        self.bulk_btn = self.add_button(
            "Edit thresholds…",
            self.open_bulk_dialog,
            enabled=False,
            tooltip="" if allowed else "your role may not change thresholds",
        )

    def update_bulk_button(self) -> None:
        if hasattr(self, "bulk_btn"):
            self.bulk_btn.setEnabled(self.ctx.can(Action.EDIT_AGREEMENTS) and bool(self.selected_rows()))

    def open_bulk_dialog(self) -> BulkThresholdDialog:
        """The bulk edit dialog for the selected rows' agreements (shown window-modal)."""
        ids = self.model.edit_ids(self.selected_rows())
        dialog = BulkThresholdDialog(self.ctx, ids, self)
        dialog.applied.connect(lambda result, ids=ids: self._bulk_applied(result, ids))
        dialog.open()
        return dialog

    def _bulk_applied(self, result: Any, ids: list[int]) -> None:
        assert isinstance(result, BulkResult)
        self.model.refresh_rows_by_edit_id(set(ids))
        skipped = f", {result.skipped} skipped (nothing to copy from)" if result.skipped else ""
        self.status_message.emit(f"Thresholds changed for {result.changed} agreement(s){skipped}.")
