"""A failing background task is logged at ERROR (a bug with its traceback), and still reported to the UI."""

from __future__ import annotations

import logging

import pytest

from vmi_desktop.errors import ValidationError
from vmi_desktop.ui.tasks import TaskRunner


def _run_and_wait(qtbot, fn) -> list[BaseException]:
    runner = TaskRunner()
    errors: list[BaseException] = []
    runner.run(fn, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    runner.wait()
    return errors


def test_a_bug_in_a_task_is_logged_at_error_with_its_traceback(qtbot, caplog: pytest.LogCaptureFixture) -> None:
    def count_stock(_report) -> None:
        raise ZeroDivisionError("division by zero in count_stock")

    with caplog.at_level(logging.ERROR, logger="vmi_desktop.ui.tasks"):
        (error,) = _run_and_wait(qtbot, count_stock)
    assert isinstance(error, ZeroDivisionError)
    (record,) = [r for r in caplog.records if r.name == "vmi_desktop.ui.tasks"]
    assert record.levelno == logging.ERROR
    assert "count_stock" in record.getMessage() and "Traceback" in record.getMessage()


def test_a_refusal_in_a_task_is_logged_at_error_without_a_traceback(qtbot, caplog: pytest.LogCaptureFixture) -> None:
    def save(_report) -> None:
        raise ValidationError("min (12) is above max (8) for SKU P-1002 at WH-NORTH")

    with caplog.at_level(logging.ERROR, logger="vmi_desktop.ui.tasks"):
        _run_and_wait(qtbot, save)
    (record,) = [r for r in caplog.records if r.name == "vmi_desktop.ui.tasks"]
    assert record.levelno == logging.ERROR
    assert record.getMessage().endswith("min (12) is above max (8) for SKU P-1002 at WH-NORTH")
    assert "Traceback" not in record.getMessage()
