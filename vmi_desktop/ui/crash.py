"""Unexpected errors in the window: a crash report in the log folder and a dialog to copy it from.

:func:`install_crash_handlers` sets ``sys.excepthook`` (exceptions escaping a
slot or an event handler end there in PySide6) and ``threading.excepthook``
(a worker thread dying). Each writes a report with
:func:`vmi_desktop.logs.write_crash_report`; the dialog is shown on the UI
thread, one at a time: errors that follow while it is open are written and
counted, not stacked. The app keeps running: most such errors spoil one
action, not the data, which every unit of work protects with its transaction.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, Signal, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout, QWidget

from vmi_desktop import APP_NAME
from vmi_desktop.db.errors import DatabaseError, classify, is_database_error
from vmi_desktop.logs import CrashReport, log_dir, write_crash_report

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


class CrashDialog(QDialog):
    """The report, read-only and selectable, with Copy and Open log folder."""

    def __init__(self, report: CrashReport, parent: QWidget | None = None) -> None:
        from PySide6.QtGui import QFontDatabase  # the dialog's own classes: none is needed before a crash
        from PySide6.QtWidgets import QDialogButtonBox, QPlainTextEdit, QPushButton

        super().__init__(parent)
        self.report = report
        self.setWindowTitle(f"{APP_NAME}: unexpected error")
        self.setObjectName("crashDialog")
        where = f"The report was saved as {report.path}." if report.path else "The report could not be saved."
        intro = QLabel(
            "Something went wrong that VMI Desktop did not expect. Your saved data is safe; the action you "
            f"were doing may not have finished. {where} Please send it to your IT contact."
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(report.text)
        self.text.setObjectName("crashReport")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.more = QLabel("")
        self.more.setObjectName("moreErrors")
        self.copy_button = QPushButton("&Copy report")
        self.copy_button.clicked.connect(self.copy_report)
        self.folder_button = QPushButton("Open &log folder")
        self.folder_button.clicked.connect(self.open_folder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.more)
        layout.addWidget(buttons)
        self.resize(760, 480)
        self._more = 0

    def count_another(self) -> None:
        """One more error arrived while this dialog is open."""
        self._more += 1
        self.more.setText(f"{self._more} more unexpected error(s) since; their reports are in the log folder.")

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report.text)

    def open_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        folder = self.report.path.parent if self.report.path else log_dir()
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class CrashHandler(QObject):
    """Writes a report for every unexpected error and shows them on the UI thread."""

    reported = Signal(object)  # CrashReport, emitted from any thread, shown on the UI thread
    database_problem = Signal(str)  # one sentence, emitted from any thread, shown on the UI thread

    def __init__(self, folder: Path | None = None, *, show_dialog: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.show_dialog = show_dialog
        self.reports: list[CrashReport] = []
        self.dialog: CrashDialog | None = None
        self._lock = threading.Lock()
        self._previous_sys: ExceptHook | None = None
        self._previous_threading: Callable[[threading.ExceptHookArgs], object] | None = None
        self.database_problems: list[str] = []
        self.problem_box: QMessageBox | None = None
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self.database_problem.connect(self._show_problem, Qt.ConnectionType.QueuedConnection)

    def handle(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None, context: str = ""
    ) -> CrashReport | None:
        """Write and queue one report (safe to call from any thread).

        A database problem (read-only, disk full, locked, unreachable...) is not a bug: it is shown
        as its one sentence in a dialog and logged, with no crash report.
        """
        if isinstance(exc, DatabaseError) or is_database_error(exc):
            sentence = str(classify(exc))
            log.error("database problem in %s: %s", context or "the window", sentence)
            with self._lock:
                self.database_problems.append(sentence)
            self.database_problem.emit(sentence)
            return None
        extra = {"qt": f"{qVersion()} (PySide6 {pyside_version})", "thread": threading.current_thread().name}
        report = write_crash_report(exc_type, exc, tb, folder=self.folder, context=context, extra=extra)
        with self._lock:
            self.reports.append(report)
        self.reported.emit(report)
        return report

    def _sys_hook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        try:
            self.handle(exc_type, exc, tb, context="the window")
        except Exception:  # the crash handler must never raise from inside the excepthook
            sys.__excepthook__(exc_type, exc, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        try:
            self.handle(args.exc_type, args.exc_value, args.exc_traceback, context=f"thread {name}")
        except Exception:
            sys.__excepthook__(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, report: CrashReport) -> None:
        if not self.show_dialog:
            return
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.count_another()
            return
        parent = QApplication.activeWindow()
        self.dialog = CrashDialog(report, parent)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.dialog.show()

    def _show_problem(self, sentence: str) -> None:
        if not self.show_dialog:
            return
        if self.problem_box is not None and self.problem_box.isVisible():
            self.problem_box.setInformativeText(sentence)
            return
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Warning, f"{APP_NAME}: database problem", sentence)
        box.setObjectName("databaseProblem")
        box.setInformativeText("Nothing of the action that failed was saved.")
        box.setParent(QApplication.activeWindow(), box.windowFlags())
        self.problem_box = box
        box.open()

    def install(self) -> CrashHandler:
        """Become ``sys.excepthook`` and ``threading.excepthook`` (the previous ones are kept for uninstall)."""
        self._previous_sys = sys.excepthook
        self._previous_threading = threading.excepthook
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        """Put the previous hooks back (tests, and the app's shutdown)."""
        if self._previous_sys is not None:
            sys.excepthook = self._previous_sys
        if self._previous_threading is not None:
            threading.excepthook = self._previous_threading
        self._previous_sys = self._previous_threading = None


def install_crash_handlers(folder: Path | None = None, parent: QObject | None = None) -> CrashHandler:
    """Install the handler for the GUI process; returns it (keep a reference while the app runs)."""
    return CrashHandler(folder, parent=parent).install()
