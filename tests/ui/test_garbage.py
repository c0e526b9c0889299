"""Cyclic garbage is collected on the UI thread only, never in a worker that happens to allocate."""

from __future__ import annotations

import gc
import threading
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from vmi_desktop.db import collector
from vmi_desktop.ui import garbage


class _Cycle:
    """Garbage in a cycle that says on which thread it was collected."""

    collected_on: list[str] = []

    def __init__(self) -> None:
        self.me: Any = self

    def __del__(self) -> None:
        _Cycle.collected_on.append(threading.current_thread().name)


def test_a_worker_allocating_past_the_threshold_never_collects_and_the_ui_thread_does(
    qapp: QApplication, qtbot: QtBot
) -> None:
    garbage.install(qapp)
    assert not gc.isenabled()
    _Cycle.collected_on.clear()
    gc.collect()
    for _ in range(50):
        _Cycle()  # unreachable at once, freed only by a collection

    kept: list[list[int]] = []

    def allocate() -> None:  # many times the youngest generation's threshold, each a container, kept
        kept.extend([i] for i in range(20 * gc.get_threshold()[0]))

    worker = threading.Thread(target=allocate, name="count-worker")
    worker.start()
    worker.join()
    assert _Cycle.collected_on == []  # the worker's allocations collected nothing
    qtbot.waitUntil(lambda: len(_Cycle.collected_on) == 50, timeout=3000)  # the UI thread's timer did
    assert set(_Cycle.collected_on) == {threading.main_thread().name}
    assert len(kept) == 20 * gc.get_threshold()[0]


def test_stopping_hands_collection_back_to_the_interpreter(qapp: QApplication) -> None:
    ui_collector = garbage.install(qapp)
    assert not gc.isenabled()
    ui_collector.stop()
    try:
        assert gc.isenabled()
        assert collector.collect_due() == -1  # nothing held: the interpreter collects by itself
    finally:
        garbage.install(qapp)  # as the fixture expects to find it


def test_a_paused_unit_of_work_does_not_turn_automatic_collection_back_on(qapp: QApplication) -> None:
    garbage.install(qapp)
    with collector.collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # still the UI thread's


def test_collect_due_collects_only_once_the_youngest_threshold_is_crossed(qapp: QApplication) -> None:
    garbage.install(qapp)
    gc.collect()
    assert collector.collect_due() == -1
    junk = [[i] for i in range(2 * gc.get_threshold()[0])]
    assert collector.collect_due() >= 0
    del junk
