"""File > Import...: choose what and which file, see every row's fate, then import it (off the UI thread).

The dry run and the import run as tasks (``ctx.runner``) with progress and cancel; a cancelled
import writes nothing. A file with refused rows is imported only if the user chooses to import the
good rows and save the refused ones to a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop import importer
from vmi_desktop.importer import ImportPlan, RowFate
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.tasks import Report, TaskHandle
from vmi_desktop.ui.widgets import ERROR_COLOUR, error_label

ENTITY_LABELS = {
    "skus": "SKUs",
    "locations": "Locations",
    "vendors": "Vendors",
    "agreements": "Agreements and thresholds",
    "stock": "Opening stock",
    "counts": "Cycle counts",
    "consumption": "Consumption history",
}
_FATE_COLOURS = {"create": "#1b5e20", "update": "#0d47a1", "unchanged": "#616161", "rejected": ERROR_COLOUR}
Index = QModelIndex | QPersistentModelIndex


class RowFateModel(QAbstractTableModel):
    """The dry run's rows: row number, fate, what it is, and what changes or why it is refused."""

    HEADERS = ("Row", "Fate", "Row is", "Changes / errors")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowFate] = []

    def set_plan(self, plan: ImportPlan | None) -> None:
        self.beginResetModel()
        self._rows = list(plan.rows) if plan is not None else []
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        fate = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return fate.row
            if column == 1:
                return fate.action
            if column == 2:
                return fate.key
            if fate.errors:
                return "; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in fate.errors)
            return fate.detail
        if role == Qt.ItemDataRole.ForegroundRole and column in (1, 3):
            return QColor(_FATE_COLOURS.get(fate.action, "#000000")) if column == 1 or fate.errors else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ImportDialog(QDialog):
    """Choose an entity and a CSV/XLSX file, check it (every row's fate), then import it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import")
        self.resize(900, 560)
        self.plan: ImportPlan | None = None
        self.imported: ImportPlan | None = None
        self._task: TaskHandle | None = None

        self.entity = QComboBox()
        for name in importer.ENTITIES:
            self.entity.addItem(ENTITY_LABELS[name], name)
        self.path = QLineEdit()
        self.path.setPlaceholderText("a .csv or .xlsx file; the first row names the columns")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Import", self.entity)
        form.addRow("File", file_row)

        self.model = RowFateModel(self)
        self.table = QTableView()
        self.table.setObjectName("rowFates")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 60)
        self.table.setColumnWidth(1, 90)
        self.table.setColumnWidth(2, 220)
        self.summary = QLabel("Choose what to import and the file, then Check.")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.error = error_label()
        self.good_only = QCheckBox("Import the good rows and save the refused ones to a file")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()

        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("check")
        self.check_button.clicked.connect(self.check)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("import")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.good_only)
        layout.addLayout(buttons)
        self.entity.currentIndexChanged.connect(self._invalidate)
        self.path.textChanged.connect(self._invalidate)
        self.good_only.toggled.connect(self._update_buttons)

    # -- state -----------------------------------------------------------------------------------

    @property
    def entity_name(self) -> str:
        return str(self.entity.currentData())

    def _file(self) -> Path | None:
        text = self.path.text().strip()
        return Path(text) if text else None

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import file", "", "Spreadsheets (*.xlsx *.xls *.ods *.csv)")
        if name:
            self.path.setText(name)

    def _invalidate(self) -> None:
        self.plan = None
        self.model.set_plan(None)
        self._update_buttons()

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setEnabled(busy)
        self.check_button.setEnabled(not busy)
        self.entity.setEnabled(not busy)
        self.path.setEnabled(not busy)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self._task is not None
        plan = self.plan
        good = plan is not None and not plan.file_errors and any(r.ok for r in plan.rows)
        self.import_button.setEnabled(
            not running and plan is not None and good and (plan.ok or self.good_only.isChecked())
        )

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 100))
        self.progress.setFormat(f"{text} (%p%)" if text else "%p%")

    def _done(self) -> None:
        self._task = None
        self._busy(False)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, importer.ImportRejected):
            self._show(exc.plan)
        self.error.setText(str(exc))

    # -- actions -----------------------------------------------------------------------------------

    def check(self) -> None:
        """The dry run, off the UI thread."""
        path = self._file()
        self.error.setText("")
        if path is None:
            self.error.setText("Choose a file to import.")
            return
        db, actor, entity = self.ctx.db, self.ctx.actor, self.entity_name

        def work(report: Report) -> ImportPlan:
            return importer.dry_run(db, actor, entity, path, progress=report)

        self._task = self.ctx.runner.run(
            work,
            on_result=self._show,
            on_error=self._failed,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.summary.setText("Check cancelled."),
            on_finished=self._done,
        )
        self._busy(True)

    def _show(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.model.set_plan(plan)
        text = plan.summary()
        if plan.file_errors:
            self.error.setText("; ".join(str(e) for e in plan.file_errors))
        elif not plan.ok and not plan.applied:
            text += " A file with refused rows is imported all or nothing: fix them, or import the good rows only."
        self.summary.setText(text)
        self._update_buttons()

    def apply(self) -> None:
        """The import itself, off the UI thread; with good rows only, the refused ones go to a file."""
        path = self._file()
        if path is None or self.plan is None:
            return
        rejects: Path | None = None
        if self.good_only.isChecked() and not self.plan.ok:
            name, _ = QFileDialog.getSaveFileName(
                self,
                "Save the refused rows",
                str(path.with_name(f"{path.stem}.rejects.csv")),
                "CSV (*.csv);;Excel (*.xlsx)",
            )
            if not name:
                return
            rejects = Path(name)
        self.run_import(path, rejects)

    def run_import(self, path: Path, rejects: Path | None) -> None:
        """Import ``path`` (refused rows to ``rejects`` when given) as a task."""
        db, actor, entity, good_only = self.ctx.db, self.ctx.actor, self.entity_name, rejects is not None
        self.error.setText("")

        def work(report: Report) -> ImportPlan:
            return importer.apply(
                db, actor, entity, path, good_rows_only=good_only, rejects_path=rejects, progress=report
            )

        def finished(plan: ImportPlan) -> None:
            self.imported = plan
            self._show(plan)
            if plan.rejects_file:
                self.summary.setText(self.summary.text() + f" Refused rows saved to {plan.rejects_file}.")
            self.plan = None
            self._update_buttons()

        self._task = self.ctx.runner.run(
            work,
            on_result=finished,
            on_error=self._failed,
            on_progress=self._on_progress,
            on_cancelled=lambda: self.summary.setText("Import cancelled: nothing was written."),
            on_finished=self._done,
        )
        self._busy(True)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
