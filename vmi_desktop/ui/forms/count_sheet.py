"""A cycle count as a count sheet per location: count (blind if asked), review the variances, recount,
then post every count in one unit of work.

Lines come from scanning (part, Enter, counted, Enter) or from "Load location" (every part with
stock there). In a blind count the system quantity stays hidden until the review. The review reads
the on hand of every line now and shows each variance; lines to count again go back to counting.
Posting runs ``commands.stock.count`` for every counted line inside one ``commands.run`` unit of
work: all counts are posted, or (one refused) none. Each variance is posted as a count movement
against the on hand as locked at posting time (``ledger.post_cycle_count``), which is what the
review showed unless someone posted meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.commands import run, stock
from vmi_desktop.commands.stock import PostingResult
from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.quantities import parse_quantity
from vmi_desktop.queries.stock_forms import PartAt, count_sheet_lines, on_hand_of
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.forms.fields import PartField, QuantityField, qty, record_of
from vmi_desktop.ui.numbers import format_decimal, parse_decimal
from vmi_desktop.ui.widgets import edit_on_typing, message_bar, set_bar_kind

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("SKU", "Description", "Unit", "System", "Counted", "Variance", "State")
SYSTEM, COUNTED, VARIANCE, STATE = 3, 4, 5, 6
_VARIANCE_BG = QColor(255, 236, 179)
_ERROR_BG = QColor(255, 205, 205)


@dataclass
class CountLine:
    """One part on the sheet: what was counted (or typed and refused), and the system quantity at review."""

    part: PartAt
    counted: Decimal | None = None
    typed: str = ""
    error: str = ""
    system: Decimal | None = None
    recount: bool = False

    @property
    def variance(self) -> Decimal | None:
        if self.counted is None or self.system is None:
            return None
        return self.counted - self.system

    @property
    def state(self) -> str:
        if self.error:
            return "invalid"
        if self.counted is None:
            return "recount" if self.recount else "not counted"
        if self.variance is None:
            return "counted"
        return "variance" if self.variance else "matches"


class CountSheetModel(QAbstractTableModel):
    """The lines of a sheet; Counted is edited in place (parsed in the user's locale)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[CountLine] = []
        #: show the system quantity and the variance (the review, or a count that is not blind)
        self.reveal = True

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical:
            return section + 1
        return None

    def _text(self, line: CountLine, column: int) -> str:
        if column == 0:
            return line.part.part_number
        if column == 1:
            return line.part.description
        if column == 2:
            return line.part.uom
        if column == SYSTEM:
            if not self.reveal:
                return "hidden"
            shown = line.system if line.system is not None else line.part.on_hand
            return format_decimal(shown)
        if column == COUNTED:
            return line.typed if line.error else format_decimal(line.counted) if line.counted is not None else ""
        if column == VARIANCE:
            variance = line.variance if self.reveal else None
            if variance is None:
                return ""
            return ("+" if variance > 0 else "") + format_decimal(variance)
        return line.state

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line, column = self.lines[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(line, column)
        if role == Qt.ItemDataRole.EditRole and column == COUNTED:
            return line.typed if line.error else format_decimal(line.counted, grouping=False)
        if role == Qt.ItemDataRole.ToolTipRole and line.error:
            return line.error
        if role == Qt.ItemDataRole.BackgroundRole:
            if line.error and column == COUNTED:
                return QBrush(_ERROR_BG)
            if self.reveal and line.variance:
                return QBrush(_VARIANCE_BG)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SYSTEM, COUNTED, VARIANCE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == COUNTED else base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != COUNTED:
            return False
        self.set_counted(index.row(), str(value))
        return True

    def set_counted(self, row: int, text: str) -> None:
        """Record what was counted (text in the user's locale); an unreadable number stays with its reason."""
        line = self.lines[row]
        line.typed = text.strip()
        line.error = ""
        if not line.typed:
            line.counted = None
        else:
            try:
                number = parse_decimal(line.typed, what=f"counted quantity of {line.part.part_number}")
                line.counted = parse_quantity(
                    number,
                    what=f"counted quantity of {line.part.part_number}",
                    allow_zero=True,
                    whole=line.part.whole,
                    uom=line.part.uom,
                )
                line.recount = False
            except ValidationError as exc:
                line.counted, line.error = None, str(exc)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def row_of(self, sku_id: int) -> int | None:
        return next((i for i, ln in enumerate(self.lines) if ln.part.sku_id == sku_id), None)

    def add(self, parts: list[PartAt]) -> int:
        """Append the parts not on the sheet yet; returns how many were added."""
        known = {ln.part.sku_id for ln in self.lines}
        new = [CountLine(p) for p in parts if p.sku_id not in known]
        if new:
            self.beginInsertRows(QModelIndex(), len(self.lines), len(self.lines) + len(new) - 1)
            self.lines.extend(new)
            self.endInsertRows()
        return len(new)

    def set_lines(self, lines: list[CountLine]) -> None:
        self.beginResetModel()
        self.lines = lines
        self.endResetModel()

    def changed_all(self) -> None:
        if self.lines:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.lines) - 1, len(COLUMNS) - 1))


class CountSheetForm(QWidget):
    """Count, review, recount, post: one sheet for one location."""

    #: counts were posted (one ``PostingRecord`` per count that changed on hand)
    posted = Signal(object)
    key = "count"
    title = "Count sheet"

    def __init__(
        self, ctx: AppContext, location_id: Callable[[], int | None], location_code: Callable[[], str]
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.page_location_id = location_id
        self.page_location_code = location_code
        self.sheet_location: tuple[int, str] | None = None
        self.reviewed = False
        self.model = CountSheetModel(self)
        self.result = message_bar("countResult", "ok")
        self.error = message_bar("countError", "error")
        self.heading = QLabel("")
        self.heading.setObjectName("countHeading")
        self.heading.setWordWrap(True)
        self.blind = QCheckBox("Blind count (the system quantity stays hidden until the review)")
        self.blind.setObjectName("countBlind")
        self.blind.toggled.connect(lambda _on: self._update())
        self.part = PartField(ctx, self._location_for_scan, "count")
        self.part.hide_on_hand = lambda: self.blind.isChecked() and not self.reviewed
        self.quantity = QuantityField("count", what="counted quantity", allow_zero=True)
        self.note = QLineEdit()
        self.note.setObjectName("countNote")
        self.note.setPlaceholderText("optional: bin, counter, reason for the count")
        self.view = QTableView()
        self.view.setObjectName("countSheet")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        edit_on_typing(self.view)
        self.load_button = QPushButton("Load location")
        self.load_button.setObjectName("countLoad")
        self.load_button.setToolTip("Put every part with stock at this location on the sheet")
        self.review_button = QPushButton("Review variances")
        self.review_button.setObjectName("countReview")
        self.recount_button = QPushButton("Recount selected")
        self.recount_button.setObjectName("countRecount")
        self.post_button = QPushButton("Post counts")
        self.post_button.setObjectName("countPost")
        self.clear_button = QPushButton("Clear sheet")
        self.clear_button.setObjectName("countClear")
        self.load_button.clicked.connect(self.load_location)
        self.review_button.clicked.connect(self.review)
        self.recount_button.clicked.connect(self.recount_selected)
        self.post_button.clicked.connect(self.post)
        self.clear_button.clicked.connect(self.clear_sheet)
        form = QFormLayout()
        form.addRow("Part", self.part)
        form.addRow("Counted", self.quantity)
        form.addRow("Note", self.note)
        buttons = QHBoxLayout()
        for b in (self.load_button, self.review_button, self.recount_button, self.post_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addWidget(self.heading)
        layout.addWidget(self.blind)
        layout.addLayout(form)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.part.found.connect(self._part_found)
        self.quantity.edit.returnPressed.connect(self._counted_entered)
        self.model.dataChanged.connect(lambda *_a: self._update())
        self.model.rowsInserted.connect(lambda *_a: self._update())
        self.model.modelReset.connect(lambda: self._update())
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._update())
        self._update()

    # -- where ----------------------------------------------------------------------------------

    def _location_for_scan(self) -> int | None:
        return self.sheet_location[0] if self.sheet_location else self.page_location_id()

    def location_changed(self) -> None:
        """The page's location moved: an empty sheet follows it; a started one keeps its own."""
        if not self.model.lines:
            self.sheet_location = None
        self._update()

    def _claim_location(self) -> tuple[int, str]:
        if self.sheet_location is None:
            location_id = self.page_location_id()
            if location_id is None:
                raise ValidationError("choose a location first")
            self.sheet_location = (location_id, self.page_location_code())
        return self.sheet_location

    def focus_first(self) -> None:
        self.part.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.part.edit.selectAll()

    # -- counting -------------------------------------------------------------------------------

    def load_location(self) -> int:
        """Add every part with stock at the location (up to 2,000; scan others in)."""
        try:
            location_id, code = self._claim_location()
        except VmiError as exc:
            return self._refuse(str(exc))
        with self.ctx.db.sessions() as session:
            parts, more = count_sheet_lines(session, self.ctx.actor, location_id)
        added = self.model.add(parts)
        extra = " (the first 2,000 by part number: scan the others in)" if more else ""
        self._say(f"{added} part(s) of {code} added to the sheet{extra}.")
        return added

    def _part_found(self, part: PartAt) -> None:
        self.error.hide()
        self.quantity.set_part(part)
        self.quantity.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.quantity.edit.selectAll()

    def _counted_entered(self) -> None:
        try:
            self._claim_location()
            part = self.part.resolve()
            self.quantity.set_part(part)
            self.quantity.value()
        except VmiError as exc:
            self._refuse(str(exc))
            return
        self.count(part, self.quantity.edit.text())
        self.part.clear()
        self.quantity.clear()
        self.focus_first()

    def count(self, part: PartAt, text: str) -> int:
        """Put a counted quantity on the sheet for ``part`` (adding its line); returns the row."""
        row = self.model.row_of(part.sku_id)
        if row is None:
            self.model.add([part])
            row = len(self.model.lines) - 1
        self.model.set_counted(row, text)
        self.view.scrollTo(self.model.index(row, COUNTED))
        self.error.hide()
        return row

    def recount_selected(self) -> int:
        """Lines to count again: their counts are cleared and the sheet goes back to counting."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        for row in rows:
            line = self.model.lines[row]
            line.counted, line.typed, line.error, line.recount, line.system = None, "", "", True, None
        self.reviewed = False
        self.model.changed_all()
        self._say(f"{len(rows)} line(s) to count again.")
        return len(rows)

    def clear_sheet(self) -> None:
        """Start again (nothing is posted)."""
        self.model.set_lines([])
        self.sheet_location = None
        self.reviewed = False
        self.result.hide()
        self.error.hide()
        self._update()

    # -- review and post ------------------------------------------------------------------------

    def review(self) -> int:
        """Read the on hand of every line now and show the variances; returns how many differ."""
        if self.sheet_location is None or not self.model.lines:
            return self._refuse("Put parts on the sheet first (scan them, or Load location).")
        bad = [ln for ln in self.model.lines if ln.error]
        if bad:
            return self._refuse(f"{len(bad)} count(s) cannot be read, first {bad[0].part.part_number}: {bad[0].error}")
        with self.ctx.db.sessions() as session:
            now = on_hand_of(
                session, self.ctx.actor, self.sheet_location[0], [ln.part.sku_id for ln in self.model.lines]
            )
        for line in self.model.lines:
            line.system = now[line.part.sku_id]
        self.reviewed = True
        self.model.changed_all()
        differ = [ln for ln in self.model.lines if ln.variance]
        counted = [ln for ln in self.model.lines if ln.counted is not None]
        self._say(
            f"Review: {len(counted)} counted, {len(differ)} with a variance (highlighted), "
            f"{len(self.model.lines) - len(counted)} not counted (left out). Recount what looks wrong, then post."
        )
        return len(differ)

    def post(self) -> list[PostingResult]:
        """Post every counted line in one unit of work (all or none); the sheet is then cleared."""
        if not self.reviewed:
            self._refuse("Review the variances before posting.")
            return []
        assert self.sheet_location is not None
        location_id, code = self.sheet_location
        counted = [ln for ln in self.model.lines if ln.counted is not None]
        if not counted:
            self._refuse("Nothing is counted yet.")
            return []
        actor, note = self.ctx.actor, self.note.text().strip()

        def work(uow: UnitOfWork) -> list[PostingResult]:
            return [stock.count(uow, actor, ln.part.sku_id, location_id, ln.counted, note=note) for ln in counted]

        try:
            results = run(self.ctx.db, work)
        except VmiError as exc:
            self._refuse(f"Not posted (no count was): {exc}")
            return []
        changes: list[str] = []
        for line, result in zip(counted, results, strict=True):
            variance = result.posting.quantity
            if variance:
                sign = "+" if variance > 0 else ""
                changes.append(f"{line.part.part_number} {sign}{format_decimal(variance)}")
                summary = (
                    f"Counted {qty(line.counted or Decimal(0), line.part.uom)} of {line.part.part_number} at {code}: "
                    f"on hand {qty(result.posting.on_hand_after - variance)} → {qty(result.posting.on_hand_after)}."
                )
                self.posted.emit(record_of("count", line.part, result, summary, reference="count"))
        left = len(self.model.lines) - len(counted)
        left_text = f" {left} line(s) not counted were left out." if left else ""
        detail = f": {', '.join(changes[:8])}{' …' if len(changes) > 8 else ''}" if changes else ""
        self.clear_sheet()
        self._say(
            f"Posted {len(counted)} count(s) at {code} together; {len(changes)} changed on hand{detail}.{left_text}"
        )
        return results

    # -- state ----------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.error.hide()
        self.result.setText(text)
        set_bar_kind(self.result, "info")
        self.result.show()

    def _refuse(self, text: str) -> int:
        self.error.setText(text)
        self.error.show()
        return 0

    def _update(self) -> None:
        lines = self.model.lines
        reveal = not self.blind.isChecked() or self.reviewed
        if reveal != self.model.reveal:
            self.model.reveal = reveal
            self.model.changed_all()
        self.view.setColumnHidden(VARIANCE, not self.reviewed)
        where = self.sheet_location[1] if self.sheet_location else self.page_location_code() or "—"
        counted = sum(1 for ln in lines if ln.counted is not None)
        stage = "review: post when the variances look right" if self.reviewed else "counting"
        self.heading.setText(f"<b>Count sheet for {where}</b> · {len(lines)} line(s), {counted} counted · {stage}")
        self.blind.setEnabled(not self.reviewed)
        self.review_button.setEnabled(bool(lines))
        self.recount_button.setEnabled(bool(self.view.selectionModel().selectedRows()))
        self.post_button.setEnabled(self.reviewed and counted > 0)
        self.clear_button.setEnabled(bool(lines))
        if any(ln.error for ln in lines) and self.reviewed:
            self.reviewed = False
            self._update()
