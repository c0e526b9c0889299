"""A result arriving after its page closed touches no deleted widget."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QLabel

from vmi_desktop.ui.tasks import TaskRunner


def test_callbacks_of_a_deleted_owner_are_skipped(qtbot) -> None:
    runner = TaskRunner()
    label = QLabel("waiting")
    go = threading.Event()
    delivered: list[object] = []

    def work(_report: object) -> str:
        go.wait(5)
        return "done"

    def show(result: object) -> None:
        delivered.append(result)
        label.setText(str(result))  # would raise "already deleted" without the guard

    handle = runner.run(work, on_result=show, owner=label)
    label.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(label), timeout=5000)
    with qtbot.waitSignal(handle.signals.finished, timeout=5000):
        go.set()
    assert runner.wait(5000)
    assert delivered == []
