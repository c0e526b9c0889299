"""The parts manager's replenishment worklist: what to order, decide or put aside today.

Rows come from ``queries.worklist`` a page at a time (the same table page as every other table, so
search, sort, layout, export and print behave alike). The actions work on the selected rows through
``commands.worklist``: order now (one sent order per vendor x location, after a confirmation that
lists them), approve or reject the orders awaiting a decision, snooze until a date with a reason,
wake a snoozed pair, open the part (Enter or double-click). Committed changes, the user's own and a
sync run's, refresh the touched rows in place (``ui.live``); a snoozed row leaves the view at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QSize, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QStyledItemDelegate, QVBoxLayout

from vmi_desktop.db import Changes
from vmi_desktop.errors import VmiError
from vmi_desktop.models import Criticality, ReplenishmentMode, utcnow
from vmi_desktop.queries.catalog import location_choices, vendor_choices
from vmi_desktop.queries.worklist import WorklistQuery, WorklistState
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.delegates import CellDelegate
from vmi_desktop.ui.live import LiveChanges
from vmi_desktop.ui.models.worklist import WorklistModel
from vmi_desktop.ui.numbers import format_count, format_decimal
from vmi_desktop.ui.pages.table_page import TablePage
from vmi_desktop.ui.widgets import error_label

if TYPE_CHECKING:
    from types import ModuleType

    from vmi_desktop.commands.worklist import Awaiting
    from vmi_desktop.replenishment.order_now import OrderLine
    from vmi_desktop.ui.dialogs.worklist import ConfirmDialog, SnoozeDialog


def _commands() -> ModuleType:
    """The worklist's commands, imported at the first action (they pull in ordering and the outbox, which
    the first paint of the start page does not need; ``ui.app`` warms them up after it)."""
    from vmi_desktop.commands import worklist

    return worklist


class _FilterCombo(QComboBox):
    """A filter combo as wide as its longest choice, that still lets the page shrink on small screens."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 84), hint.height())


class WorklistPage(TablePage):
    """Filters, the worklist table, and the actions on its selected rows."""

    #: (sku_id, location_id or None): open the part page (connected by ``MainWindow.add_page``).
    part_requested = Signal(int, object)
    state_key = "worklist"
    search_hint = "Search SKU or description"
    model_class = WorklistModel
    #: eleven number columns must fit 1280 px beside the navigation: as wide as a pair's usual figures
    number_sample = "9,999.5"

    def __init__(self, ctx: AppContext, *, today: Callable[[], date] | None = None) -> None:
        #: What "today" is (UTC): the consumption window, the snoozes in force, the snooze dialog's start.
        self.today = today or (lambda: utcnow().date())
        self.query = WorklistQuery(today=self.today)
        #: the dialog open now (tests accept it like a user would)
        self.dialog: Any = None
        # Two screens a page: each candidate row is judged exactly (open lines, 30 days of use), so a
        # filtered page costs what it walks; scrolling fetches the next page from where this one ended.
        super().__init__(ctx, self.query, page_size=60)
        assert isinstance(self.model, WorklistModel)
        self.worklist: WorklistModel = self.model
        self.view.activated.connect(self._activated)
        # Only the suggested quantity is ever edited (or invalid): the other cells paint through Qt's own
        # delegate, without a call into Python per cell on top of the model's.
        quantity = self.model.column_index(WorklistModel.QUANTITY)
        self.view.setItemDelegate(QStyledItemDelegate(self.view))
        self.view.setItemDelegateForColumn(quantity, CellDelegate(self.view))
        # the first keystroke after a pause filters at once; keystrokes that follow within the debounce
        # window wait for the pause (typing a word runs two queries, not one per letter)
        self.search_box.textChanged.disconnect()
        self.search_box.textChanged.connect(self._typed)
        order = QShortcut(QKeySequence("Ctrl+Return"), self)
        order.activated.connect(self.order_selected)
        self.live = LiveChanges(self, ctx, self.apply_changes)
        # never narrower than the column's title (and its sort arrow)
        header = self.view.horizontalHeader()
        metrics = header.fontMetrics()
        for i, column in enumerate(self.model.columns):
            title = max(column.title.split("\n"), key=metrics.horizontalAdvance)
            wanted = metrics.horizontalAdvance(title) + (24 if column.sortable else 12)
            if self.view.columnWidth(i) < wanted:
                self.view.setColumnWidth(i, wanted)

    # -- layout --------------------------------------------------------------------------------

    def build_extras(self) -> None:
        # filters on a row of their own under the search box, so the page stays narrow (1024 px screens)
        self.filter_row = QHBoxLayout()
        self.filters = self.filter_row
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertLayout(1, self.filter_row)
        with self.ctx.db.sessions() as session:
            vendors = vendor_choices(session, self.ctx.actor)
            locations = location_choices(session, self.ctx.actor)
        self.vendor_combo = self._combo("vendorFilter", "All vendors", vendors, "vendor_id")
        self.location_combo = self._combo("locationFilter", "All locations", locations, "location_id")
        self.mode_combo = self._combo(
            "modeFilter", "All modes", [(m.value, m.value.replace("_", " ")) for m in ReplenishmentMode], "mode"
        )
        self.criticality_combo = self._combo(
            "criticalityFilter", "Any criticality", [(c.value, c.value) for c in Criticality], "criticality"
        )
        self.stock_out_box = QCheckBox("Stock-out now")
        self.stock_out_box.setObjectName("stockOutFilter")
        self.stock_out_box.setToolTip("Only pairs with nothing on hand")
        self.stock_out_box.toggled.connect(lambda on: self.model.set_filter("stock_out", True if on else None))
        self.snoozed_box = QCheckBox("Snoozed")
        self.snoozed_box.setObjectName("snoozedFilter")
        self.snoozed_box.setToolTip("Show the pairs put aside instead (until their date)")
        self.snoozed_box.toggled.connect(self._snoozed_toggled)
        self.filters.addWidget(self.stock_out_box)
        self.filters.addWidget(self.snoozed_box)
        self.filters.addStretch(1)

        may_order = self.ctx.can(Action.CREATE_ORDER)
        may_decide = self.ctx.can(Action.APPROVE_ORDER)
        may_snooze = self.ctx.can(Action.SNOOZE_REORDER)
        self.order_button = self.add_button(
            "Order now", self.order_selected, tooltip="One sent order per vendor x location (Ctrl+Return)"
        )
        self.approve_button = self.add_button("Approve…", self.approve_selected)
        self.reject_button = self.add_button("Reject…", self.reject_selected)
        self.snooze_button = self.add_button("Snooze…", self.snooze_selected)
        self.wake_button = self.add_button("Wake", self.wake_selected, tooltip="Back on the worklist now")
        self.part_button = self.add_button("Open part", self.open_selected_part, tooltip="Enter or double-click")
        self.reset_button = self.add_button("Reset", self.reset_quantities, tooltip="Back to the suggested quantities")
        for button, allowed, who in (
            (self.order_button, may_order, "order"),
            (self.approve_button, may_decide, "decide orders"),
            (self.reject_button, may_decide, "decide orders"),
            (self.snooze_button, may_snooze, "snooze"),
            (self.wake_button, may_snooze, "snooze"),
        ):
            button.setObjectName(button.text().rstrip("…").replace(" ", "_").lower())
            if not allowed:
                button.setToolTip(f"your role may not {who}")
        self.part_button.setObjectName("open_part")
        self.reset_button.setObjectName("reset_quantities")
        self.error = error_label(word_wrap=True)
        layout.insertWidget(layout.count() - 1, self.error)
        self.wake_button.hide()

    def _combo(self, name: str, everything: str, choices: list[tuple[Any, str]], key: str) -> QComboBox:
        combo = _FilterCombo()
        combo.setObjectName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.addItem(everything, None)
        for value, text in choices:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(lambda _i: self.model.set_filter(key, combo.currentData()))
        self.filters.addWidget(combo)
        return combo

    def _typed(self, text: str) -> None:
        if self.search_timer.isActive():
            self.search_timer.start()  # still typing: the timer applies the text after the pause
            return
        self.model.set_search(text)
        self.search_timer.start()

    def _snoozed_toggled(self, on: bool) -> None:
        self.wake_button.setVisible(on)
        for button in (self.order_button, self.approve_button, self.reject_button, self.snooze_button):
            button.setVisible(not on)
        self.model.set_filter("snoozed", True if on else None)

    def refresh(self) -> None:
        """F5: the rows and their count read again (never a count kept from the dashboard's run)."""
        self.ctx.shared.forget()
        super().refresh()

    def _show_total(self, total: int) -> None:
        counts = self.worklist.counts
        if self.model.request.filters.get("snoozed"):
            self.count_label.setText(f"{format_count(total)} snoozed")
        elif counts is not None and counts.total == total:
            self.count_label.setText(
                f"{format_count(total)} rows · {format_count(counts.at_or_below_min)} at or below min on position · "
                f"{format_count(counts.held)} awaiting a decision"
            )
            self.count_label.setToolTip(
                "Position = on hand + on order (drafts and proposals included), as the reorder check counts it; "
                "the other rows are projected to reach min within their lead time at the last 30 days' use, "
                "or wait for your decision. Snoozed pairs are not counted."
            )
        else:
            super()._show_total(total)

    def update_selection_buttons(self) -> None:
        rows = self.selected_rows()
        if not hasattr(self, "order_button"):
            return
        states = {self.worklist.row(r).values["state"] for r in rows}
        self.order_button.setEnabled(bool(rows) and self.ctx.can(Action.CREATE_ORDER))
        decide = self.ctx.can(Action.APPROVE_ORDER) and WorklistState.HELD in states
        self.approve_button.setEnabled(decide)
        self.reject_button.setEnabled(decide)
        self.snooze_button.setEnabled(bool(rows) and self.ctx.can(Action.SNOOZE_REORDER))
        self.wake_button.setEnabled(bool(rows) and self.ctx.can(Action.SNOOZE_REORDER))
        self.part_button.setEnabled(len(rows) == 1)
        self.reset_button.setEnabled(self.model.has_pending())

    # -- page hooks ----------------------------------------------------------------------------

    def save(self) -> None:
        """Ctrl+S: nothing to save here; edited quantities are what "Order now" orders."""
        self.status_message.emit("Edited quantities are not saved: they are ordered with Order now (Ctrl+Return).")

    def has_pending(self) -> bool:
        """Edited quantities are a draft of an order, not data: closing the window does not ask."""
        return False

    def discard(self) -> None:
        self.reset_quantities()

    # -- actions -------------------------------------------------------------------------------

    def _selected_keys(self) -> list[tuple[int, int]]:
        return [self.worklist.key_of(r) for r in self.selected_rows()]

    def _label(self, row: int) -> str:
        values = self.worklist.row(row).values
        return f"{values['part_number']} at {values['location']}"

    def _refuse(self, message: str) -> None:
        self.error.setText(message)
        self.status_message.emit(message)

    def order_selected(self) -> ConfirmDialog | None:
        """Ask to order the selected rows (one order per vendor x location), listing the orders."""
        rows = self.selected_rows()
        if not rows or not self.ctx.can(Action.CREATE_ORDER) or self.model.request.filters.get("snoozed"):
            return None
        self.error.setText("")
        from vmi_desktop.replenishment.order_now import OrderLine

        lines: list[OrderLine] = []
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in rows:
            quantity = self.worklist.quantity(r)
            if quantity is None:
                self._refuse(f"Not ordered: {self.worklist.quantity_error(r)}")
                return None
            values = self.worklist.row(r).values
            if quantity <= 0:
                self._refuse(f"Not ordered: nothing to order for {self._label(r)} (its position is at max)")
                return None
            sku_id, location_id = self.worklist.key_of(r)
            lines.append(OrderLine(sku_id, location_id, quantity))
            groups[(values["vendor"], values["location"])].append(
                f"{values['part_number']}: {format_decimal(quantity)}"
            )
        items = [f"{vendor} → {location}: {', '.join(parts)}" for (vendor, location), parts in sorted(groups.items())]
        count = len(groups)
        from vmi_desktop.ui.dialogs.worklist import ConfirmDialog  # the dialogs: not before the first paint

        dialog = ConfirmDialog(
            "Order now",
            f"Send {count} order{'s' if count != 1 else ''} for {len(lines)} row{'s' if len(lines) != 1 else ''}? "
            "Vendors connected by sync receive them at the next sync.",
            items,
            f"Send {count} order{'s' if count != 1 else ''}",
            self,
        )
        dialog.accepted.connect(lambda: self._order(lines))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _order(self, lines: list[OrderLine]) -> None:
        try:
            result = _commands().order_now(self.ctx.db, self.ctx.actor, lines)
        except VmiError as exc:
            self._refuse(f"Not ordered: {exc}")
            return
        self.worklist.forget_quantities([(ln.sku_id, ln.location_id) for ln in lines])
        self.status_message.emit(
            f"Ordered {len(lines)} row(s): {', '.join(result.orders)} ({len(result.orders)} order(s), sent)"
        )

    def _awaiting(self) -> list[Awaiting]:
        with self.ctx.db.sessions() as session:
            return _commands().awaiting_decision(session, self.ctx.actor, self._selected_keys())

    def _describe(self, waiting: list[Awaiting]) -> list[str]:
        labels = {self.worklist.key_of(r): self._label(r) for r in range(self.worklist.rowCount())}
        items = []
        for w in waiting:
            kind = "held supplier order" if w.held_supplier_order else "proposal"
            shown = sorted(labels.get(p, "a row not shown") for p in w.pairs)
            items.append(f"{w.po_number} ({kind}): {', '.join(shown)}")
        return items

    def approve_selected(self) -> ConfirmDialog | None:
        """Ask to approve the orders awaiting a decision for the selected rows (all their lines)."""
        return self._decide(approve=True)

    def reject_selected(self) -> ConfirmDialog | None:
        """Ask why, then reject the orders awaiting a decision for the selected rows."""
        return self._decide(approve=False)

    def _decide(self, *, approve: bool) -> ConfirmDialog | None:
        if not self.ctx.can(Action.APPROVE_ORDER):
            return None
        waiting = self._awaiting()
        if not waiting:
            self._refuse("No order awaits a decision for the selected rows.")
            return None
        verb = "Approve" if approve else "Reject"
        from vmi_desktop.ui.dialogs.worklist import ConfirmDialog

        dialog = ConfirmDialog(
            f"{verb} orders",
            f"{verb} {len(waiting)} order(s)? Each is decided as a whole, all its lines.",
            self._describe(waiting),
            f"{verb} {len(waiting)}",
            self,
            reason_label="" if approve else "Reason",
        )
        ids = [w.id for w in waiting]
        dialog.accepted.connect(lambda: self._decided(ids, approve, dialog.reason_text))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _decided(self, ids: list[int], approve: bool, reason: str) -> None:
        try:
            if approve:
                done = _commands().approve(self.ctx.db, self.ctx.actor, ids)
            else:
                done = _commands().reject(self.ctx.db, self.ctx.actor, ids, reason)
        except VmiError as exc:
            self._refuse(f"Not decided: {exc}")
            return
        self.error.setText("")
        verb = "approved" if approve else "rejected"
        self.status_message.emit(f"{', '.join(po.po_number for po in done)} {verb}")

    def snooze_selected(self) -> SnoozeDialog | None:
        """Ask until when and why, then snooze the selected rows (they leave the view)."""
        rows = self.selected_rows()
        if not rows or not self.ctx.can(Action.SNOOZE_REORDER):
            return None
        keys = self._selected_keys()
        from vmi_desktop.ui.dialogs.worklist import SnoozeDialog

        dialog = SnoozeDialog([self._label(r) for r in rows], self.today(), self)

        def done() -> None:
            try:
                _commands().snooze(
                    self.ctx.db, self.ctx.actor, keys, until=dialog.until, reason=dialog.reason, today=self.today()
                )
            except VmiError as exc:
                self._refuse(f"Not snoozed: {exc}")
                return
            self.error.setText("")
            self.worklist.remove_rows(keys)  # the commit's refresh would show them as snoozed
            self.status_message.emit(f"{len(keys)} row(s) snoozed until {dialog.until.isoformat()}")

        dialog.accepted.connect(done)
        self.dialog = dialog
        dialog.open()
        return dialog

    def wake_selected(self) -> int:
        """End the snooze of the selected rows (snoozed view): back on the worklist, reorder check run."""
        keys = self._selected_keys()
        if not keys or not self.ctx.can(Action.SNOOZE_REORDER):
            return 0
        try:
            count = _commands().wake(self.ctx.db, self.ctx.actor, keys, today=self.today())
        except VmiError as exc:
            self._refuse(f"Not woken: {exc}")
            return 0
        self.worklist.remove_rows(keys)
        self.status_message.emit(f"{count} row(s) back on the worklist")
        return count

    def reset_quantities(self) -> None:
        """Back to the suggested quantities."""
        self.worklist.forget_quantities([r.key for r in self.worklist.rows()])
        self.update_selection_buttons()

    def open_selected_part(self) -> None:
        """Open the part of the (first) selected row."""
        rows = self.selected_rows()
        if rows:
            sku_id, location_id = self.worklist.key_of(rows[0])
            self.part_requested.emit(sku_id, location_id)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            sku_id, location_id = self.worklist.key_of(index.row())
            self.part_requested.emit(sku_id, location_id)

    # -- live ----------------------------------------------------------------------------------

    def apply_changes(self, changes: Changes) -> None:
        """Refresh the touched rows that are shown; rows snoozed elsewhere leave the view."""
        keys = [k for k in changes.pairs if self.worklist.row_of_key(k) is not None]
        if changes.master_data:
            self.model.reload()
            return
        if not keys:
            return
        self.worklist.refresh_rows(keys)
        if not self.model.request.filters.get("snoozed"):
            gone = [
                k
                for k in keys
                if (row := self.worklist.row_of_key(k)) is not None
                and self.worklist.row(row).values["state"] is WorklistState.SNOOZED
            ]
            if gone:
                self.worklist.remove_rows(gone)
        self.update_selection_buttons()

    def quantity_of(self, row: int) -> Decimal | None:
        """The quantity a row would be ordered with (tests, the export)."""
        return self.worklist.quantity(row)

    def select_rows(self, rows: list[int]) -> None:
        """Select several whole rows (keyboard users and tests)."""
        selection = QItemSelection()
        for r in rows:
            selection.select(self.model.index(r, 0), self.model.index(r, self.model.columnCount() - 1))
        self.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


__all__ = ["WorklistPage"]
