"""Agreements > Suggest thresholds…: suggested min/max beside the current ones, replayed, then applied.

Suggestions are computed on the task runner (``replenishment.thresholds``) with a progress bar
and Cancel; the table shows current and suggested thresholds with the fill rate, stock-out days
and stock value each would have given on the pair's own history; the chart replays the selected
pair day by day. Applying the chosen rows runs ``apply_suggestions`` (the normal edit path:
validated, versioned, audited) in one transaction; the Agreements table then takes the whole
batch back with one Ctrl+Z.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from vmi_desktop.db import describe_db_error
from vmi_desktop.quantities import fmt
from vmi_desktop.queries import AgreementsQuery, PageRequest
from vmi_desktop.replenishment.thresholds import (
    AppliedBatch,
    Suggestion,
    SuggestionRun,
    ThresholdSetting,
    ThresholdTrace,
    apply_suggestions,
    suggest_thresholds,
    trace,
)
from vmi_desktop.scope import Action
from vmi_desktop.ui.charts.base import DASH, ChartPanel
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.tasks import Report, TaskHandle
from vmi_desktop.ui.widgets import error_label

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
_EMPTY = np.zeros(0)
DAY_S = 86400.0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _money(value: float) -> str:
    return f"{value:,.0f}"


#: (key, header) of the suggestion table's columns; "apply" is the check box.
COLUMNS = (
    ("apply", "Apply"),
    ("vendor", "Vendor"),
    ("sku", "SKU"),
    ("location", "Location"),
    ("class", "Demand"),
    ("min", "Min"),
    ("max", "Max"),
    ("s_min", "Suggested min"),
    ("s_max", "Suggested max"),
    ("fill_now", "Fill now"),
    ("fill_new", "Fill suggested"),
    ("out_now", "Stock-outs now"),
    ("out_new", "Stock-outs suggested"),
    ("value_now", "Value now"),
    ("value_new", "Value suggested"),
)
_NUMERIC = {k for k, _ in COLUMNS[5:]}


class SuggestionsModel(QAbstractTableModel):
    """The suggestions of one run, with a check box per row saying whether to apply it."""

    chosen_changed = Signal(int)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.run: SuggestionRun | None = None
        self.rows: list[Suggestion] = []
        self.chosen: list[bool] = []

    def set_run(self, run: SuggestionRun) -> None:
        """Show ``run``; every row that changes something starts chosen."""
        self.beginResetModel()
        self.run = run
        self.rows = list(run.suggestions)
        self.chosen = [s.changes for s in self.rows]
        self.endResetModel()
        self.chosen_changed.emit(self.chosen_count())

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1] if 0 <= section < len(COLUMNS) else None
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical and section >= 0:
            return section + 1
        return None

    def text(self, s: Suggestion, key: str) -> str:
        """The text of one cell (also what the CSV-like tests read)."""
        t = s.terms
        values = {
            "apply": "",
            "vendor": t.vendor_code,
            "sku": t.part_number,
            "location": t.location_code,
            "class": s.demand_class,
            "min": fmt(t.min_qty),
            "max": fmt(t.max_qty),
            "s_min": fmt(s.suggested_min),
            "s_max": fmt(s.suggested_max),
            "fill_now": _pct(s.current.fill_rate),
            "fill_new": _pct(s.suggested.fill_rate),
            "out_now": str(s.current.stockout_days),
            "out_new": str(s.suggested.stockout_days),
            "value_now": _money(s.current.on_hand_value),
            "value_new": _money(s.suggested.on_hand_value),
        }
        return values[key]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows) or not 0 <= index.column() < len(COLUMNS):
            return None
        s = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(s, key)
        if role == Qt.ItemDataRole.CheckStateRole and key == "apply":
            return Qt.CheckState.Checked if self.chosen[index.row()] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and key in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key in ("out_now", "out_new"):
                return "days with demand not filled from stock, in the replay"
            if key in ("value_now", "value_new"):
                return "mean stock on hand x unit cost, in the replay"
            if key == "apply" and not s.changes:
                return "the suggestion is what the agreement has already"
            if key == "class":
                return f"{s.mean_daily:.3g} a day on average; expected fill {s.expected_fill:.1%}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if COLUMNS[index.column()][0] == "apply" and self.rows[index.row()].changes:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or COLUMNS[index.column()][0] != "apply":
            return False
        if not self.rows[index.row()].changes:
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(value)
        self.chosen[index.row()] = state == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.chosen_changed.emit(self.chosen_count())
        return True

    def choose_all(self, on: bool) -> None:
        """Choose (or clear) every row that changes something."""
        self.chosen = [on and s.changes for s in self.rows]
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0), [Qt.ItemDataRole.CheckStateRole])
        self.chosen_changed.emit(self.chosen_count())

    def chosen_count(self) -> int:
        return sum(self.chosen)

    def chosen_suggestions(self) -> list[Suggestion]:
        return [s for s, on in zip(self.rows, self.chosen, strict=True) if on]


class ReplayChart(ChartPanel):
    """One pair's replay: on hand under the current and the suggested thresholds, daily demand, both mins."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Replay of the selected pair", "units", parent)
        pi = self.plot_item
        self.demand = pg.BarGraphItem(x=_EMPTY, height=_EMPTY, width=DAY_S * 0.8, brush=pg.mkBrush(150, 150, 150, 140))
        pi.addItem(self.demand)
        self.current = pi.plot(
            _EMPTY, _EMPTY, stepMode="right", pen=pg.mkPen((200, 90, 40), width=2), name="on hand now"
        )
        self.suggested = pi.plot(
            _EMPTY, _EMPTY, stepMode="right", pen=pg.mkPen((30, 90, 200), width=2), name="on hand suggested"
        )
        self.current_min = pi.plot(_EMPTY, _EMPTY, pen=pg.mkPen((200, 90, 40), width=1, style=DASH), name="min now")
        self.suggested_min = pi.plot(
            _EMPTY, _EMPTY, pen=pg.mkPen((30, 90, 200), width=1, style=DASH), name="min suggested"
        )
        self.legend.addItem(self.demand, "demand")
        self.apply_palette()

    def show_trace(self, suggestion: Suggestion, data: ThresholdTrace) -> None:
        """Plot ``data`` (every item updated in place)."""
        self.series.clear()
        if not data.days:
            for item in (self.current, self.suggested, self.current_min, self.suggested_min):
                item.setData(_EMPTY, _EMPTY)
            self.demand.setOpts(x=_EMPTY, height=_EMPTY)
            return
        first = data.days[0]
        start = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
        x = start + DAY_S * np.arange(len(data.days), dtype=np.float64)
        self.current.setData(x, data.current_on_hand)
        self.suggested.setData(x, data.suggested_on_hand)
        self.demand.setOpts(x=x + DAY_S / 2, height=data.demand)
        span = np.array([x[0], x[-1] + DAY_S])
        now_min = np.full(2, float(suggestion.terms.min_qty))
        new_min = np.full(2, float(suggestion.suggested_min))
        self.current_min.setData(span, now_min)
        self.suggested_min.setData(span, new_min)
        self.remember("on hand now", x, data.current_on_hand)
        self.remember("on hand suggested", x, data.suggested_on_hand)
        self.remember("demand", x, data.demand)
        t = suggestion.terms
        self.plot_item.setTitle(f"Replay of {t.part_number} at {t.location_code} ({t.vendor_code})")
        self.auto_range()
        # headroom above the highest line, so the legend across the top hides none of it
        top = max(
            float(np.max(data.current_on_hand)), float(np.max(data.suggested_on_hand)), float(np.max(data.demand))
        )
        self.plot_item.setYRange(0, max(top, 1.0) * 1.35, padding=0)


class SuggestThresholdsDialog(QDialog):
    """Compute, compare, chart and apply suggested thresholds for some agreements."""

    #: emitted with the ``AppliedBatch`` once the chosen rows are saved
    applied = Signal(object)
    #: a run finished (the table shows it)
    computed = Signal()
    #: the chart shows the selected pair
    traced = Signal()

    def __init__(
        self,
        ctx: AppContext,
        agreement_ids: list[int] | None,
        parent: QWidget | None = None,
        *,
        request: PageRequest | None = None,
        scope_text: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.agreement_ids = agreement_ids
        self.request = request or PageRequest()
        self.handle: TaskHandle | None = None
        self.trace_generation = 0
        self.setWindowTitle("Suggest thresholds")
        self.resize(1240, 780)

        self.target_box = QDoubleSpinBox()
        self.target_box.setObjectName("target")
        self.target_box.setRange(50.0, 100.0)
        self.target_box.setDecimals(1)
        self.target_box.setSingleStep(0.5)
        self.target_box.setSuffix(" %")
        self.target_box.setValue(95.0)
        self.review_box = QSpinBox()
        self.review_box.setRange(1, 365)
        self.review_box.setValue(14)
        self.review_box.setSuffix(" days of demand")
        self.keep_cycle_box = QCheckBox("keep each agreement's max - min")
        self.keep_cycle_box.toggled.connect(lambda on: self.review_box.setEnabled(not on))
        self.system_box = QCheckBox("Aggregate target over these agreements (least stock value)")
        self.history_box = QSpinBox()
        self.history_box.setRange(28, 3650)
        self.history_box.setValue(730)
        self.history_box.setSuffix(" days")
        self.replay_box = QSpinBox()
        self.replay_box.setRange(1, 3650)
        self.replay_box.setValue(365)
        self.replay_box.setSuffix(" days")
        self.compute_button = QPushButton("Compute")
        self.compute_button.setDefault(True)
        self.compute_button.clicked.connect(self.compute)

        form = QHBoxLayout()
        for label, widget in (
            ("Fill rate", self.target_box),
            ("Max - min", self.review_box),
            ("", self.keep_cycle_box),
            ("History", self.history_box),
            ("Replay the last", self.replay_box),
        ):
            if label:
                form.addWidget(QLabel(label))
            form.addWidget(widget)
        form.addStretch(1)
        form.addWidget(self.compute_button)
        second = QHBoxLayout()
        second.addWidget(QLabel(scope_text or self._scope_text()))
        second.addStretch(1)
        second.addWidget(self.system_box)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.progress_text = QLabel("")
        self.error = error_label()
        self.error.setVisible(False)

        self.model = SuggestionsModel(self)
        self.model.chosen_changed.connect(self._update_apply)
        self.view = QTableView()
        self.view.setObjectName("suggestions")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().currentRowChanged.connect(lambda current, _prev: self.show_row(current.row()))
        self.chart = ReplayChart()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self.chart)
        splitter.setSizes([420, 300])
        self.totals = QLabel("Choose the target and press Compute.")
        self.totals.setObjectName("totals")
        self.totals.setWordWrap(True)

        self.all_button = QPushButton("Choose all")
        self.all_button.clicked.connect(lambda: self.model.choose_all(True))
        self.none_button = QPushButton("Choose none")
        self.none_button.clicked.connect(lambda: self.model.choose_all(False))
        self.apply_button = QPushButton("Apply")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        if not ctx.can(Action.EDIT_AGREEMENTS):
            self.apply_button.setToolTip("your role may not change thresholds")
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_button)
        buttons.addWidget(self.none_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(second)
        status = QHBoxLayout()
        status.addWidget(self.progress, 1)
        status.addWidget(self.progress_text)
        layout.addLayout(status)
        layout.addWidget(self.error)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.totals)
        layout.addLayout(buttons)

    def say_error(self, text: str) -> None:
        """Show (or with "" clear) what was refused and why, under the form."""
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _scope_text(self) -> str:
        if self.agreement_ids is None:
            return "For every agreement the table shows (search and filters as set)."
        return f"For the {len(self.agreement_ids)} selected agreement(s)."

    # -- computing ---------------------------------------------------------------------------

    def compute(self) -> TaskHandle | None:
        """Compute suggestions on the task runner (progress shown, Close cancels)."""
        if self.handle is not None:
            return None
        self.say_error("")
        self._busy(True)
        db, actor = self.ctx.db, self.ctx.actor
        ids, request = self.agreement_ids, self.request
        target = round(self.target_box.value() / 100, 4)
        system_mode, keep_cycle = self.system_box.isChecked(), self.keep_cycle_box.isChecked()
        review_days, history_days = self.review_box.value(), self.history_box.value()
        replay_days = min(self.replay_box.value(), history_days)

        def work(report: Report) -> SuggestionRun:
            with db.sessions() as session:
                chosen = ids if ids is not None else AgreementsQuery().matching_ids(session, actor, request)
                return suggest_thresholds(
                    session,
                    actor,
                    agreement_ids=chosen,
                    target=target,
                    system_mode=system_mode,
                    review_days=review_days,
                    keep_cycle=keep_cycle,
                    history_days=history_days,
                    replay_days=replay_days,
                    report=report,
                )

        self.handle = self.ctx.runner.run(
            work,
            on_result=self._computed,
            on_error=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
        )
        return self.handle

    def cancel(self) -> None:
        """Cancel what runs (nothing is saved), or close the dialog when nothing runs."""
        if self.handle is not None:
            self.handle.cancel()
            self.progress_text.setText("Cancelling…")
        else:
            self.reject()

    def _busy(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.progress.setValue(0)
        for widget in (self.compute_button, self.all_button, self.none_button):
            widget.setEnabled(not on)
        self.close_button.setText("Cancel" if on else "Close")
        self._update_apply()

    def _progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_text.setText(text)

    def _computed(self, run: SuggestionRun) -> None:
        self.handle = None
        self._busy(False)
        self.progress_text.setText("")
        self.model.set_run(run)
        self._show_totals()
        if run.suggestions:
            self.view.selectRow(0)
        self.computed.emit()

    def _failed(self, error: BaseException) -> None:
        self.handle = None
        self._busy(False)
        self.say_error(describe_db_error(error) if isinstance(error, SQLAlchemyError) else str(error))

    def _cancelled(self) -> None:
        self.handle = None
        self._busy(False)
        self.progress_text.setText("Cancelled; nothing was changed.")

    def _show_totals(self) -> None:
        run = self.model.run
        if run is None:
            return
        now, new = run.totals("current"), run.totals("suggested")
        mode = "over these agreements as a whole" if run.system else "for each agreement"
        cycle = "its current max - min" if run.keep_cycle else f"{run.review_days} days of demand"
        self.totals.setText(
            f"{len(run.suggestions)} agreement(s), target {run.target:.1%} {mode}, max - min = {cycle}. "
            f"Replayed on the last {run.replay_days} days of the history they learned from: "
            f"now fill {_pct(now.fill_rate)}, {now.stockout_days} stock-out days, stock value "
            f"{_money(now.on_hand_value)}, {now.orders} orders; suggested fill {_pct(new.fill_rate)}, "
            f"{new.stockout_days} stock-out days, stock value {_money(new.on_hand_value)}, {new.orders} orders."
        )

    def _update_apply(self, *_args: object) -> None:
        count = self.model.chosen_count()
        self.apply_button.setText(f"Apply to {count} chosen")
        self.apply_button.setEnabled(self.handle is None and count > 0 and self.ctx.can(Action.EDIT_AGREEMENTS))

    # -- the chart ---------------------------------------------------------------------------

    def show_row(self, row: int) -> None:
        """Replay the pair of ``row`` in the chart (read off the UI thread)."""
        run = self.model.run
        if run is None or not 0 <= row < len(self.model.rows):
            return
        suggestion = self.model.rows[row]
        self.trace_generation += 1
        generation = self.trace_generation
        db = self.ctx.db

        def work(_report: Report) -> ThresholdTrace:
            with db.sessions() as session:
                return trace(
                    session,
                    suggestion,
                    history_start=run.history_start,
                    history_days=run.history_days,
                    replay_days=run.replay_days,
                )

        def done(data: ThresholdTrace) -> None:
            if generation == self.trace_generation:
                self.chart.show_trace(suggestion, data)
                self.traced.emit()

        self.ctx.runner.run(work, on_result=done, on_error=lambda exc: self.say_error(str(exc)), owner=self)

    # -- applying ----------------------------------------------------------------------------

    def apply(self) -> TaskHandle | None:
        """Save the chosen suggestions in one transaction on the task runner."""
        chosen = self.model.chosen_suggestions()
        if self.handle is not None or not chosen:
            return None
        run = self.model.run
        assert run is not None
        settings = [
            ThresholdSetting(s.terms.agreement_id, s.terms.version, s.suggested_min, s.suggested_max) for s in chosen
        ]
        note = f"target {run.target}{' (system)' if run.system else ''}"
        db, actor = self.ctx.db, self.ctx.actor

        def work(report: Report) -> AppliedBatch:
            with db.unit_of_work() as uow:
                batch = apply_suggestions(uow.session, actor, settings, note=note, report=report)
                uow.changes.agreements.update(e.edit_id for e in batch.edits)
            return batch

        self.say_error("")
        self._busy(True)
        self.handle = self.ctx.runner.run(
            work,
            on_result=self._applied,
            on_error=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
        )
        return self.handle

    def _applied(self, batch: AppliedBatch) -> None:
        self.handle = None
        self._busy(False)
        self.applied.emit(batch)
        self.accept()


def open_suggest_dialog(page: Any) -> SuggestThresholdsDialog:
    """The dialog for an Agreements page: its selected rows, or every row it shows; an applied batch
    lands on the page's undo stack."""
    rows = page.selected_rows()
    ids = page.model.edit_ids(rows) if rows else None
    dialog = SuggestThresholdsDialog(page.ctx, ids, page, request=page.model.request)

    def applied(batch: AppliedBatch) -> None:
        page.model.push_batch(batch)
        page.model.refresh_rows_by_edit_id({e.edit_id for e in batch.edits})
        page.status_message.emit(f"Applied {batch.label} (Ctrl+Z takes them all back).")

    dialog.applied.connect(applied)
    dialog.open()
    return dialog
