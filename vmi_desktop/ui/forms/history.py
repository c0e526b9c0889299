"""A pair's ledger history (or every movement, newest first): browse, export, print, reverse a posting."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QMenu, QWidget

from vmi_desktop.commands import stock
from vmi_desktop.commands.stock import PostingResult
from vmi_desktop.errors import VmiError
from vmi_desktop.ledger import resolve_sku
from vmi_desktop.queries.catalog import location_choices
from vmi_desktop.queries.stock_forms import MovementsQuery, find_part
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.order_reason import ReasonDialog
from vmi_desktop.ui.pages.table_page import TablePage


class HistoryView(TablePage):
    """Ledger rows as a table page: filter by part and location, Reverse… the selected movement."""

    state_key = "movements"
    export_title = "Ledger history"
    search_hint = "Search reference, note or who"
    default_descending = True
    #: a movement was reversed (the command's result)
    reversed = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        self.reason_dialog: ReasonDialog | None = None
        super().__init__(ctx, MovementsQuery(), page_size=200, parent=parent)

    def build_extras(self) -> None:
        self.part_edit = QLineEdit()
        self.part_edit.setObjectName("historyPart")
        self.part_edit.setPlaceholderText("part number, Enter (empty: every part)")
        self.part_edit.setClearButtonEnabled(True)
        self.part_edit.returnPressed.connect(self._part_entered)
        self.location_combo = QComboBox()
        self.location_combo.setObjectName("historyLocation")
        self.location_combo.addItem("All locations", None)
        with self.ctx.db.sessions() as session:
            for location_id, code in location_choices(session, self.ctx.actor):
                self.location_combo.addItem(code, location_id)
        self.location_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter("location_id", self.location_combo.currentData())
        )
        self.filters.addWidget(self.part_edit)
        self.filters.addWidget(self.location_combo)
        allowed = self.ctx.can(Action.POST_LEDGER)
        self.reverse_button = self.add_button(
            "Reverse…",
            lambda: self.reverse_selected(),
            enabled=False,
            tooltip="Undo the selected posting by a counter-posting" if allowed else "your role may not post",
        )
        self.reverse_button.setObjectName("historyReverse")

    def _part_entered(self) -> None:
        text = self.part_edit.text().strip()
        if not text:
            self.model.set_filter("sku_id", None)
            return
        with self.ctx.db.sessions() as session:
            location_id = self.location_combo.currentData()
            part = find_part(session, self.ctx.actor, text, location_id or 0) if location_id else None
            sku_id = part.sku_id if part else None
            if sku_id is None:
                try:
                    sku_id = resolve_sku(session, text).id
                except VmiError:
                    self.status_message.emit(f"No part {text!r}.")
                    return
        self.model.set_filter("sku_id", sku_id)

    def show_pair(self, sku_id: int, location_id: int | None) -> None:
        """The history of one SKU (at one location, or everywhere)."""
        with self.ctx.db.sessions() as session:
            self.part_edit.setText(resolve_sku(session, sku_id).part_number)
        self.location_combo.blockSignals(True)
        self.location_combo.setCurrentIndex(max(0, self.location_combo.findData(location_id)))
        self.location_combo.blockSignals(False)
        filters = {"sku_id": sku_id, "location_id": location_id}
        self.model.request = replace(self.model.request, filters={k: v for k, v in filters.items() if v is not None})
        self.model.reload()

    def filter_description(self) -> str:
        parts = [f"part {self.part_edit.text().strip()}"] if self.model.request.filters.get("sku_id") else []
        rest = super().filter_description()
        return " · ".join(p for p in (*parts, rest) if p)

    def update_selection_buttons(self) -> None:
        if not hasattr(self, "reverse_button"):
            return
        rows = self.selected_rows()
        ok = len(rows) == 1 and self.ctx.can(Action.POST_LEDGER)
        if ok:
            values = self.model.row(rows[0]).values
            ok = values["reversed_by"] is None and values["reverses"] is None and values["po_line_id"] is None
        self.reverse_button.setEnabled(ok)

    def context_actions(self, menu: QMenu, rows: list[int]) -> None:
        if len(rows) == 1 and self.reverse_button.isEnabled():
            menu.addAction("Reverse…", lambda: self.reverse_selected())

    def reverse_selected(self, reason: str | None = None) -> PostingResult | None:
        """Reverse the selected movement; without a reason, ask for one first (non-blocking)."""
        rows = self.selected_rows()
        if len(rows) != 1:
            return None
        movement_id = int(self.model.key_of(rows[0])[0])
        if reason is None:
            dialog = ReasonDialog("Reverse posting", f"Why is movement #{movement_id} reversed?", self)
            dialog.accepted.connect(lambda: self.reverse_selected(dialog.reason))
            self.reason_dialog = dialog
            dialog.open()
            return None
        try:
            result = stock.reverse(self.ctx.db, self.ctx.actor, movement_id, reason=reason)
        except VmiError as exc:
            self.status_message.emit(f"Not reversed: {exc}")
            return None
        self.apply_commits_now()
        self.status_message.emit(
            f"Movement #{movement_id} reversed: on hand {result.posting.on_hand_after.normalize():f}."
        )
        self.reversed.emit(result)
        return result
