"""Bulk threshold edit for a selection: set, scale by %, or copy from another location.

The edit runs on the task runner (its own session and transaction) with a
progress bar; Cancel rolls the whole edit back.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from vmi_desktop.catalog_service import (
    BulkResult,
    BulkThresholdEdit,
    CopyThresholds,
    ScaleThresholds,
    SetThresholds,
    bulk_edit_thresholds,
    check_thresholds,
)
from vmi_desktop.db import describe_db_error
from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.queries.catalog import location_choices
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import parse_decimal
from vmi_desktop.ui.tasks import Report, TaskHandle

log = logging.getLogger(__name__)


class BulkThresholdDialog(QDialog):
    """Choose one edit for ``agreement_ids`` and run it off the UI thread."""

    #: emitted with the BulkResult when the edit committed
    applied = Signal(object)

    def __init__(self, ctx: AppContext, agreement_ids: list[int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.agreement_ids = list(agreement_ids)
        self.handle: TaskHandle | None = None
        self.result_value: BulkResult | None = None
        self.setWindowTitle("Edit thresholds")

        self.set_radio = QRadioButton("Set min and max to")
        self.scale_radio = QRadioButton("Scale min and max by (%)")
        self.copy_radio = QRadioButton("Copy min and max from location")
        self.set_radio.setChecked(True)
        group = QButtonGroup(self)
        for radio in (self.set_radio, self.scale_radio, self.copy_radio):
            group.addButton(radio)
        self.min_edit = QLineEdit()
        self.min_edit.setPlaceholderText("min")
        self.max_edit = QLineEdit()
        self.max_edit.setPlaceholderText("max")
        self.percent_edit = QLineEdit()
        self.percent_edit.setPlaceholderText("e.g. 10 or -15")
        self.location_combo = QComboBox()
        with ctx.db.sessions() as session:
            for location_id, code in location_choices(session, ctx.actor):
                self.location_combo.addItem(code, location_id)

        grid = QGridLayout()
        grid.addWidget(self.set_radio, 0, 0)
        grid.addWidget(self.min_edit, 0, 1)
        grid.addWidget(self.max_edit, 0, 2)
        grid.addWidget(self.scale_radio, 1, 0)
        grid.addWidget(self.percent_edit, 1, 1)
        grid.addWidget(self.copy_radio, 2, 0)
        grid.addWidget(self.location_combo, 2, 1, 1, 2)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.progress_text = QLabel("")
        self.buttons = QDialogButtonBox()
        self.apply_button = QPushButton(f"Apply to {len(self.agreement_ids)} agreement(s)")
        self.cancel_button = QPushButton("Cancel")
        self.buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.apply_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(self.agreement_ids)} agreement(s) selected."))
        layout.addLayout(grid)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.buttons)

    def edit(self) -> BulkThresholdEdit:
        """The edit described by the form, or a ``ValidationError`` saying what is missing."""
        if self.set_radio.isChecked():
            low, high = _decimal(self.min_edit.text(), "min"), _decimal(self.max_edit.text(), "max")
            check_thresholds(low, high)  # said here, before anything runs
            return SetThresholds(low, high)
        if self.scale_radio.isChecked():
            return ScaleThresholds(_decimal(self.percent_edit.text(), "percentage"))
        if self.location_combo.currentIndex() < 0:
            raise ValidationError("choose the location to copy from")
        return CopyThresholds(int(self.location_combo.currentData()))

    def start(self) -> None:
        """Run the edit on the task runner; the dialog shows progress and stays cancellable."""
        if self.handle is not None:
            return
        try:
            edit = self.edit()
        except VmiError as exc:
            self.error_label.setText(str(exc))
            return
        if not self.agreement_ids:
            self.error_label.setText("No agreements selected (rows without an agreement cannot be edited).")
            return
        self.error_label.setText("")
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.apply_button.setEnabled(False)
        db, actor, ids = self.ctx.db, self.ctx.actor, self.agreement_ids

        def work(report: Report) -> BulkResult:
            with db.transaction() as session:
                return bulk_edit_thresholds(session, actor, ids, edit, report=report)

        self.handle = self.ctx.runner.run(
            work,
            on_result=self._done,
            on_error=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
        )

    def cancel(self) -> None:
        """Cancel a running edit (rolled back), or close the dialog when nothing runs."""
        if self.handle is not None:
            self.handle.cancel()
            self.progress_text.setText("Cancelling…")
        else:
            self.reject()

    def _progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_text.setText(text)

    def _done(self, result: Any) -> None:
        self.handle = None
        self.result_value = result
        self.applied.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.handle = None
        self.apply_button.setEnabled(True)
        self.progress.setVisible(False)
        message = describe_db_error(error) if isinstance(error, SQLAlchemyError) else str(error)
        self.error_label.setText(message)

    def _cancelled(self) -> None:
        self.handle = None
        self.apply_button.setEnabled(True)
        self.progress.setVisible(False)
        self.progress_text.setText("Cancelled; nothing was changed.")


def _decimal(text: str, what: str) -> Decimal:
    return parse_decimal(text, what=what)
