"""Log folder, rotating log files, crash reports, and that no secret reaches any of them."""

from __future__ import annotations

import logging
import logging.handlers
import platform
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from vmi_desktop import __version__
from vmi_desktop.logs import (
    BACKUP_COUNT,
    CLI_LOG_NAME,
    GUI_LOG_NAME,
    MAX_BYTES,
    format_crash_report,
    log_dir,
    redact,
    setup_logging,
    write_crash_report,
)


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _boom(message: str) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return type(exc), exc, exc.__traceback__


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://anna:pa55@db:5432/vmi", "postgresql://anna:***@db:5432/vmi"),
        ("connect password=hunter2 host=db", "connect password=*** host=db"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
        ("token='xyz'", "token='***'"),
        ("postgresql://anna@db/vmi (no password)", "postgresql://anna@db/vmi (no password)"),
    ],
)
def test_redact_blanks_passwords_and_tokens_only(raw: str, expected: str) -> None:
    assert redact(raw) == expected


def test_the_log_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMI_LOG_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    assert log_dir() == tmp_path / "explicit"
    monkeypatch.delenv("VMI_LOG_DIR")
    assert log_dir() == tmp_path / "data" / "logs"
    monkeypatch.delenv("VMI_DATA_DIR")
    assert log_dir().name in {"log", "logs", "Logs", "vmi-desktop"}  # the platform's own (platformdirs)


def test_gui_and_cli_log_to_their_own_rotating_files(tmp_path: Path, restore_root_logger: None) -> None:
    gui = setup_logging(gui=True, folder=tmp_path)
    assert gui == tmp_path / GUI_LOG_NAME
    ours = [h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(ours) == 1
    assert (ours[0].maxBytes, ours[0].backupCount) == (MAX_BYTES, BACKUP_COUNT)
    cli = setup_logging(gui=False, folder=tmp_path)  # replaces, does not add
    ours = [h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert cli == tmp_path / CLI_LOG_NAME and len(ours) == 1
    logging.getLogger("vmi_desktop.test").info("connected to postgresql://anna:pa55@db/vmi")
    ours[0].flush()
    written = cli.read_text()
    assert "connected to postgresql://anna:***@db/vmi" in written and "pa55" not in written


def test_the_log_file_rotates_and_keeps_a_bounded_history(tmp_path: Path, restore_root_logger: None) -> None:
    path = setup_logging(gui=False, folder=tmp_path, console=False)
    assert path is not None
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    handler.maxBytes = 2000  # the real handler, rotating at 2 kB instead of 1 MB to keep the test fast
    logger = logging.getLogger("vmi_desktop.test")
    for i in range(60):
        logger.info("line %03d %s", i, "x" * 400)
    handler.flush()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([CLI_LOG_NAME] + [f"{CLI_LOG_NAME}.{i}" for i in range(1, BACKUP_COUNT + 1)])
    assert all(p.stat().st_size <= 2000 + 500 for p in tmp_path.iterdir())
    assert "line 059" in path.read_text()  # the newest line is in the current file


def test_an_unwritable_log_folder_warns_and_runs_on(
    tmp_path: Path, restore_root_logger: None, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    assert setup_logging(gui=False, folder=blocker / "logs") is None
    assert "cannot write logs to" in capsys.readouterr().err


def test_crash_report_has_traceback_version_platform_and_no_secret(tmp_path: Path) -> None:
    exc_type, exc, tb = _boom("could not reach postgresql://anna:pa55@db/vmi")
    report = write_crash_report(exc_type, exc, tb, folder=tmp_path, context="the window", extra={"qt": "6.11"})
    assert report.path is not None and report.path.parent == tmp_path
    assert report.path.name.startswith("crash-") and report.path.suffix == ".txt"
    text = report.path.read_text()
    assert text == report.text
    assert "Traceback (most recent call last)" in text and "RuntimeError: could not reach" in text
    assert f"version: {__version__}" in text
    assert f"platform: {platform.platform()}" in text
    assert "where: the window" in text and "qt: 6.11" in text
    assert "pa55" not in text and "anna:***@db" in text
    assert "_boom" in text  # the frame that raised


def test_a_crash_report_is_still_returned_when_it_cannot_be_saved(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    exc_type, exc, tb = _boom("disk trouble")
    report = write_crash_report(exc_type, exc, tb, folder=blocker / "logs")
    assert report.path is None and "RuntimeError: disk trouble" in report.text


def test_crash_report_text_is_stable_for_the_same_error() -> None:
    from datetime import UTC, datetime

    exc_type, exc, tb = _boom("same")
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    first = format_crash_report(exc_type, exc, tb, when=when)
    assert first == format_crash_report(exc_type, exc, tb, when=when)
    assert first.startswith("VMI Desktop crash report\ntime: 2026-11-30T12:00:00+00:00\n")
