"""Unexpected errors in the window: a crash report in the log folder and a dialog with the report."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from vmi_desktop.ui.crash import CrashHandler


@pytest.fixture
def handler(qtbot, tmp_path: Path):
    crash = CrashHandler(tmp_path / "logs").install()
    yield crash
    crash.uninstall()
    if crash.dialog is not None:
        crash.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_an_error_escaping_a_slot_writes_a_report_and_shows_it(qtbot, handler: CrashHandler, tmp_path: Path) -> None:
    def broken_slot() -> None:
        raise RuntimeError("slot failed while talking to postgresql://anna:pa55@db/vmi")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5000)
    (report,) = handler.reports
    assert report.path is not None and report.path.parent == tmp_path / "logs"
    dialog = handler.dialog
    assert dialog is not None
    shown = dialog.text.toPlainText()
    assert shown == report.path.read_text()
    assert "RuntimeError: slot failed" in shown and "broken_slot" in shown and "where: the window" in shown
    assert "pa55" not in shown
    assert dialog.text.isReadOnly()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == shown


def test_an_error_in_a_worker_thread_is_reported_on_the_ui_thread(qtbot, handler: CrashHandler) -> None:
    def work() -> None:
        raise ValueError("worker died")

    thread = threading.Thread(target=work, name="sync-worker-7")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5000)
    (report,) = handler.reports
    assert "where: thread sync-worker-7" in report.text and "ValueError: worker died" in report.text
    assert "thread: sync-worker-7" in report.text


def test_errors_while_the_dialog_is_open_are_counted_not_stacked(qtbot, handler: CrashHandler) -> None:
    for i in range(3):
        try:
            raise KeyError(f"k{i}")
        except KeyError as exc:
            handler.handle(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: handler.dialog is not None and "2 more" in handler.dialog.more.text(), timeout=5000)
    assert len(handler.reports) == 3
    assert all(r.path is not None and r.path.exists() for r in handler.reports)
    assert handler.dialog is not None
    assert "KeyError: 'k0'" in handler.dialog.text.toPlainText()


def test_uninstall_puts_the_previous_hooks_back(qtbot, tmp_path: Path) -> None:
    before = (sys.excepthook, threading.excepthook)
    crash = CrashHandler(tmp_path).install()
    assert sys.excepthook == crash._sys_hook
    crash.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


@pytest.mark.qt_no_exception_capture
def test_a_database_problem_is_one_sentence_in_a_dialog_not_a_crash_report(
    qtbot, handler: CrashHandler, tmp_path: Path
) -> None:
    """A read-only database file: the user reads what is wrong, IT gets no bug report for it."""
    import sqlite3

    readonly = tmp_path / "ro.sqlite3"
    sqlite3.connect(readonly).execute("CREATE TABLE t (x INTEGER)").connection.close()

    def save_something() -> None:
        conn = sqlite3.connect(f"file:{readonly}?mode=ro", uri=True)
        conn.execute("INSERT INTO t VALUES (1)")

    QTimer.singleShot(0, save_something)
    qtbot.waitUntil(lambda: handler.problem_box is not None and handler.problem_box.isVisible(), timeout=5000)
    assert handler.reports == []
    box = handler.problem_box
    assert box is not None and "read-only" in box.text() and "Nothing of the action" in box.informativeText()
    box.close()
