"""The headless command line: database status/upgrade and stock postings, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vmi_desktop.cli import main
from vmi_desktop.db import migrate


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"VMI_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "VMI_USER": "alice"}
    return subprocess.run(
        [sys.executable, "-m", "vmi_desktop", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_db_upgrade_then_status_reports_the_head_revision(tmp_path: Path) -> None:
    up = _run(tmp_path, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    head = migrate.head_revision()
    assert f"schema empty -> {head}" in up.stdout
    status = _run(tmp_path, "db", "status")
    assert f"schema:   {head}" in status.stdout
    assert (tmp_path / "data" / "vmi.sqlite3").exists()


def test_stock_commands_post_and_refuse_with_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "alice")
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    from sqlalchemy import text

    from vmi_desktop.db import create_database

    db = create_database(url)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO skus (part_number, description, uom, unit_cost, criticality, active, version,"
                " updated_at) VALUES ('P-9', 'Seal', 'EA', 1, 'normal', 1, 1, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO locations (code, name, kind, allow_negative_stock, active, version, "
                "updated_at) VALUES ('WH-1', 'Main', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
            )
        )
    db.dispose()
    assert main(["--database-url", url, "stock", "receive", "P-9", "WH-1", "5"]) == 0
    assert "on hand now 5" in capsys.readouterr().out
    assert main(["--database-url", url, "stock", "consume", "P-9", "WH-1", "7"]) == 2
    err = capsys.readouterr().err
    assert "would take on hand from 5 to -2" in err
    assert main(["--database-url", url, "stock", "show", "--sku", "P-9"]) == 0
    assert "P-9\tWH-1\t5" in capsys.readouterr().out


def test_unknown_user_is_refused_once_users_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "alice")
    assert main(["--database-url", url, "stock", "show"]) == 0  # first user becomes parts manager
    assert main(["--database-url", url, "--user", "mallory", "stock", "show"]) == 2
    assert "not known in this database" in capsys.readouterr().err
