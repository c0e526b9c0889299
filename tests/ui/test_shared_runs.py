"""One background run for a question several pages ask: joined while it runs, kept until a commit,
F5 (``forget``) or its age, never kept when it failed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from tests.clock import ManualClock
from tests.world import World
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.scope import Actor
from vmi_desktop.ui.commits import CommitRelay
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.shared_runs import MAX_AGE_S, SharedRuns
from vmi_desktop.ui.tasks import Report, TaskRunner


class Counted:
    """A run that counts how often it ran, answers its number, and may wait to be let go."""

    def __init__(self, *, hold: bool = False, fail: bool = False) -> None:
        self.runs = 0
        self.fail = fail
        self.go = threading.Event()
        if not hold:
            self.go.set()

    def __call__(self, _report: Report) -> int:
        self.runs += 1
        number = self.runs
        assert self.go.wait(10)
        if self.fail:
            raise RuntimeError(f"run {number} failed")
        return number


@pytest.fixture
def runner(qtbot: QtBot) -> Any:
    runner = TaskRunner()
    yield runner
    runner.wait(10000)


def _answers(qtbot: QtBot, shared: SharedRuns, key: str, fn: Counted, want: int = 1) -> tuple[str, list[Any]]:
    got: list[Any] = []
    how = shared.run(key, fn, on_result=got.append)
    qtbot.waitUntil(lambda: len(got) == want, timeout=5000)
    return how, got


def test_an_ask_while_the_same_run_is_going_joins_it(qtbot: QtBot, runner: TaskRunner) -> None:
    shared = SharedRuns(runner, CommitRelay())
    fn = Counted(hold=True)
    got: list[Any] = []
    assert shared.run("counts", fn, on_result=got.append) == "started"
    assert shared.run("counts", fn, on_result=got.append) == "joined"
    assert shared.run("other", Counted(), on_result=lambda _r: None) == "started"  # another key runs apart
    fn.go.set()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert got == [1, 1] and fn.runs == 1


def test_a_finished_answer_is_kept_until_a_commit_is_relayed(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    ctx = make_ctx(manager)
    fn = Counted()
    assert _answers(qtbot, ctx.shared, "counts", fn) == ("started", [1])
    assert _answers(qtbot, ctx.shared, "counts", fn) == ("kept", [1])
    assert ctx.shared.is_kept("counts")
    stock.receive(sqlite_db, manager, "P-1", "WH-1", 5)  # a command's commit, relayed by ctx.commits
    qtbot.waitUntil(lambda: not ctx.shared.is_kept("counts"), timeout=5000)
    assert _answers(qtbot, ctx.shared, "counts", fn) == ("started", [2])
    assert fn.runs == 2


def test_a_run_going_when_a_commit_arrives_is_not_joined_afterwards(qtbot: QtBot, runner: TaskRunner) -> None:
    commits = CommitRelay()
    shared = SharedRuns(runner, commits)
    fn = Counted(hold=True)
    before: list[Any] = []
    after: list[Any] = []
    shared.run("counts", fn, on_result=before.append)
    commits.changed.emit(object())
    qtbot.waitUntil(lambda: not shared.is_kept("counts"), timeout=5000)
    assert shared.run("counts", fn, on_result=after.append) == "started"  # it may not see the commit
    fn.go.set()
    qtbot.waitUntil(lambda: len(before) == 1 and len(after) == 1, timeout=5000)
    assert fn.runs == 2 and sorted(before + after) == [1, 2]
    assert _answers(qtbot, shared, "counts", fn) == ("kept", [after[0]])  # the newer run's answer is kept


def test_forget_and_age_end_the_reuse(qtbot: QtBot, runner: TaskRunner) -> None:
    clock = ManualClock()
    shared = SharedRuns(runner, CommitRelay(), clock=clock)
    fn = Counted()
    _answers(qtbot, shared, "counts", fn)
    shared.forget()  # F5
    assert _answers(qtbot, shared, "counts", fn) == ("started", [2])
    clock.advance(MAX_AGE_S - 1)
    assert _answers(qtbot, shared, "counts", fn) == ("kept", [2])
    clock.advance(2)  # the run started more than MAX_AGE_S ago
    assert not shared.is_kept("counts")
    assert _answers(qtbot, shared, "counts", fn) == ("started", [3])


def test_a_failed_run_tells_everyone_who_asked_and_is_not_kept(qtbot: QtBot, runner: TaskRunner) -> None:
    shared = SharedRuns(runner, CommitRelay())
    fn = Counted(hold=True, fail=True)
    errors: list[BaseException] = []
    shared.run("counts", fn, on_result=lambda _r: None, on_error=errors.append)
    shared.run("counts", fn, on_result=lambda _r: None, on_error=errors.append)
    fn.go.set()
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert [str(e) for e in errors] == ["run 1 failed", "run 1 failed"]
    fn.fail = False
    assert _answers(qtbot, shared, "counts", fn) == ("started", [2])


def test_answers_skip_a_deleted_owner_and_never_arrive_before_the_ask_returns(qtbot: QtBot, runner: TaskRunner) -> None:
    shared = SharedRuns(runner, CommitRelay())
    fn = Counted()
    _answers(qtbot, shared, "counts", fn)
    owner = QObject()
    got: list[Any] = []
    assert shared.run("counts", fn, on_result=got.append, owner=owner) == "kept"
    assert got == []  # a kept answer comes on a later event-loop turn, as a run's would
    qtbot.waitUntil(lambda: got == [1], timeout=5000)
    gone = QObject()
    late: list[Any] = []
    shared.run("counts", fn, on_result=late.append, owner=gone)
    shiboken6.delete(gone)  # the page closed before the answer's turn came
    qtbot.wait(50)
    assert late == []
