"""The suppliers' threshold proposals, decided by the parts manager: accept or reject with a reason.

A thin window over ``queries.proposals`` and ``commands.thresholds.decide_proposals``: the list shows each
proposal beside the thresholds it would replace; Accept and Reject act on the selected rows in one unit of
work (all or none), and say what happened (orders raised on the new thresholds included).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.commands.thresholds import Decision, decide_proposals
from vmi_desktop.errors import VmiError
from vmi_desktop.queries.proposals import ProposalRow, pending_proposals
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.order_reason import ReasonDialog
from vmi_desktop.ui.numbers import format_decimal
from vmi_desktop.ui.widgets import message_bar, set_bar_kind

HEADERS = [
    "Vendor",
    "SKU",
    "Location",
    "Min now",
    "Proposed min",
    "Max now",
    "Proposed max",
    "Proposed (UTC)",
    "Reason",
]
_NUMBER_COLUMNS = {3, 4, 5, 6}


class ProposalsDialog(QDialog):
    """Pending proposals with Accept / Reject on the selection; ``decided`` is emitted after each decision."""

    decided = Signal(object)  # the Decision

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Threshold proposals from suppliers")
        self.rows: list[ProposalRow] = []
        #: the reason dialog open now (tests answer it like a user)
        self.reason_dialog: ReasonDialog | None = None
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.summary = QLabel("")
        self.message = message_bar("message")
        self.accept_button = QPushButton("Accept selected")
        self.accept_button.setObjectName("accept_proposals")
        self.accept_button.setToolTip("The agreements take the proposed min/max; reorder runs on them at once")
        self.accept_button.clicked.connect(lambda: self.accept_selected())
        self.reject_button = QPushButton("Reject selected…")
        self.reject_button.setObjectName("reject_proposals")
        self.reject_button.clicked.connect(lambda: self.reject_selected())
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        actions = QHBoxLayout()
        actions.addWidget(self.accept_button)
        actions.addWidget(self.reject_button)
        actions.addStretch(1)
        actions.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self.resize(1000, 420)
        self.reload()

    def reload(self) -> None:
        """Read the pending proposals again (a handful of rows: read here, not on the task runner)."""
        with self.ctx.db.sessions() as session:
            self.rows = pending_proposals(session, self.ctx.actor)
        self.table.setRowCount(len(self.rows))
        for r, p in enumerate(self.rows):
            cells = [
                p.vendor_code,
                p.part_number,
                p.location_code,
                format_decimal(p.min_now),
                format_decimal(p.proposed_min),
                format_decimal(p.max_now),
                format_decimal(p.proposed_max),
                p.created_at.strftime("%Y-%m-%d %H:%M"),
                p.reason,
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in _NUMBER_COLUMNS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c in (4, 6) and text != cells[c - 1]:  # what would change, in bold
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.summary.setText(
            f"{len(self.rows)} proposal(s) await your decision." if self.rows else "No proposal awaits a decision."
        )
        self._update_buttons()

    def selected_ids(self) -> list[int]:
        return [self.rows[i.row()].id for i in self.table.selectionModel().selectedRows()]

    def select_rows(self, rows: list[int]) -> None:
        """Select these rows (tests, and keyboard users through the table itself)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for r in rows:
            self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    def accept_selected(self) -> Decision | None:
        """Accept the selected proposals: their agreements take the proposed min/max."""
        return self._decide(self.selected_ids(), accept=True, note="")

    def reject_selected(self, reason: str | None = None) -> Decision | None:
        """Reject the selected proposals with ``reason``; without one, ask for it first."""
        ids = self.selected_ids()
        if not ids:
            return None
        if reason is None:
            dialog = ReasonDialog(
                "Reject proposals", f"Why are {len(ids)} proposal(s) rejected? The supplier reads the reason.", self
            )
            dialog.accepted.connect(lambda: self.reject_selected(dialog.reason))
            self.reason_dialog = dialog
            dialog.open()
            return None
        return self._decide(ids, accept=False, note=reason)

    def _decide(self, ids: list[int], *, accept: bool, note: str) -> Decision | None:
        if not ids:
            return None
        try:
            decision = decide_proposals(self.ctx.db, self.ctx.actor, ids, accept=accept, note=note)
        except VmiError as exc:
            self._say(f"Nothing was decided: {exc}", "error")
            self.reload()
            return None
        if accept:
            text = f"Accepted {len(decision.accepted)} proposal(s): the agreements now have the proposed min/max."
            if decision.orders_raised:
                text += f" Reorder raised {', '.join(decision.orders_raised)}."
        else:
            text = f"Rejected {len(decision.rejected)} proposal(s); the thresholds stay as they were."
        self._say(text, "ok")
        self.reload()
        self.decided.emit(decision)
        return decision

    def _say(self, text: str, kind: str) -> None:
        set_bar_kind(self.message, kind)
        self.message.setText(text)
        self.message.show()

    def _update_buttons(self) -> None:
        chosen = bool(self.table.selectionModel().selectedRows())
        self.accept_button.setEnabled(chosen)
        self.reject_button.setEnabled(chosen)
