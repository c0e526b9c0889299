"""The command line refuses what it cannot read with one sentence and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from vmi_desktop.cli import main


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("VMI_USER", "alice")
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    database = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["--database-url", database, "db", "upgrade"]) == 0
    return database


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["stock", "consume", "P-1", "WH-1", "1,000"], "contains a comma: write decimals with a dot"),
        (["stock", "receive", "P-1", "WH-1", "1e3"], "plain number"),
        (["orders", "list", "--limit", "0"], "argument --limit: 0 is out of range"),
        (["orders", "list", "--limit", "10000000000"], "out of range"),
        (["alerts", "ack", "99999999999999999999999"], "argument alert_id"),
        (["metrics", "--since", "2026-01-01", "--until", "9999-12-31"], "9999-12-31 is out of range"),
        (["metrics", "--since", "yesterday"], "is not a date written YYYY-MM-DD"),
        (["metrics", "--since", "2026-01-01", "--tolerance", "1,5"], "contains a comma"),
        (["metrics", "--since", "2026-01-01", "--tolerance", "2"], "out of range"),
        (["sync", "--timeout", "nan"], "plain number"),
        (["demo", "--days", "3"], "3 is out of range: use 7 to 36500"),
        (["supplier-server", "--port", "70000"], "out of range"),
    ],
)
def test_numbers_and_dates_are_range_checked(
    url: str, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    assert reason in _refused(capsys, ["--database-url", url, *argv])


def test_global_options_work_after_the_subcommand(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "status", "--database-url", url]) == 0
    assert url in capsys.readouterr().out
    assert main(["stock", "show", "--database-url", url, "--user", "alice", "-v"]) == 0


def test_an_option_after_the_subcommand_wins_over_one_before(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert main(["--database-url", url, "db", "status", "--database-url", other]) == 0
    assert "other.sqlite3" in capsys.readouterr().out


def test_a_domain_refusal_is_one_sentence_with_exit_code_two(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", url, "stock", "consume", "NOPE", "WH-1", "1"]) == 2
    assert capsys.readouterr().err.strip() == "error: unknown SKU 'NOPE'"


def test_a_database_that_is_not_a_database_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a SQLite file" * 100)
    assert main(["--database-url", f"sqlite:///{junk}", "--user", "alice", "stock", "show"]) == 2
    err = capsys.readouterr().err
    assert "damaged or is not a VMI Desktop database" in err and "Traceback" not in err


def test_units_are_listed_and_a_parts_manager_adds_one(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", url, "units", "list"]) == 0
    listed = capsys.readouterr().out
    assert "EA" in listed and "whole units" in listed and "measured (3 decimals)" in listed
    assert main(["--database-url", url, "units", "add", "drum", "drum", "--whole"]) == 0
    assert "unit DRUM (drum) added: whole units" in capsys.readouterr().out
    assert main(["--database-url", url, "units", "add", "DRUM", "again", "--measured"]) == 2
    assert "unit DRUM already exists" in capsys.readouterr().err


def test_the_window_starts_without_building_the_subcommands() -> None:
    from vmi_desktop.cli import _gui_arguments

    args = _gui_arguments(["--database-url", "sqlite:///x.db", "--user", "alice", "-v"])
    assert args is not None and (args.database_url, args.user, args.verbose) == ("sqlite:///x.db", "alice", True)
    assert _gui_arguments(["db", "status"]) is None
    assert _gui_arguments(["--help"]) is None
    assert _gui_arguments(["--bogus"]) is None  # the full parser says what is wrong
