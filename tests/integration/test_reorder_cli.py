"""The reorder, orders, alerts and metrics subcommands, as a parts manager runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.world import build_world
from vmi_desktop.cli import main
from vmi_desktop.db import create_database


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "alice")
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    db = create_database(url)
    with db.transaction() as s:
        build_world(s)
    db.dispose()
    return url


def test_reorder_dry_run_then_real_run_then_orders(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", url, "reorder", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 at or below min (dry run, nothing written)" in out and "P-3" in out
    assert main(["--database-url", url, "reorder", "--alerts"]) == 0
    out = capsys.readouterr().out
    assert "raised 3 orders (3 lines) and 1 supplier alerts" in out
    assert main(["--database-url", url, "reorder"]) == 0
    assert "raised 0 orders" in capsys.readouterr().out
    assert main(["--database-url", url, "orders", "list", "--status", "awaiting_approval"]) == 0
    out = capsys.readouterr().out
    assert "PO-000003" in out and "PO-000001" not in out
    assert main(["--database-url", url, "orders", "approve", "PO-000003"]) == 0
    assert "PO-000003 is now sent" in capsys.readouterr().out
    assert main(["--database-url", url, "orders", "receive", "PO-000001", "1=60"]) == 2
    assert "more than the 54 still open" in capsys.readouterr().err
    assert main(["--database-url", url, "orders", "receive", "PO-000001", "1=54"]) == 0
    assert "PO-000001 is now received" in capsys.readouterr().out
    assert main(["--database-url", url, "orders", "show", "PO-000001"]) == 0
    assert "partly_received" not in (out := capsys.readouterr().out) and "sent -> received" in out


def test_alerts_list_ack_resolve(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", url, "alerts", "evaluate"]) == 0
    assert "raised" in capsys.readouterr().out
    assert main(["--database-url", url, "alerts", "list"]) == 0
    out = capsys.readouterr().out
    assert "stock_out" in out and "below_min" in out
    assert main(["--database-url", url, "alerts", "ack", "1"]) == 0
    assert "acknowledged by alice" in capsys.readouterr().out
    assert main(["--database-url", url, "alerts", "resolve", "1"]) == 0
    assert main(["--database-url", url, "alerts", "ack", "999"]) == 2
    assert "unknown alert 999" in capsys.readouterr().err


def test_metrics_formats(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--database-url", url, "metrics", "--vendor", "ACME", "--since", "2026-01-01"]
    assert main([*base, "--by", "vendor", "--format", "json"]) == 0
    (card,) = json.loads(capsys.readouterr().out)
    assert card["vendor_code"] == "ACME" and card["fill_rate_units"] is None
    assert main([*base, "--format", "json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert [c["vendor_code"] for c in everything["vendors"]] == ["ACME"]
    assert len(everything["skus"]) == 3 and everything["stock_accuracy"] == []
    assert main([*base, "--by", "sku", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["part_number"], r["location_code"]) for r in rows} == {
        ("P-1", "WH-1"),
        ("P-2", "WH-1"),
        ("P-1", "VAN-7"),
    }
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "fill rate (units)" in out and "response p90" in out and "SKU x location health" in out
    assert "days_of_supply" in out and "stock accuracy per SKU" in out
    assert main(["--database-url", url, "metrics", "--vendor", "NOPE", "--since", "2026-01-01"]) == 2
    assert "unknown vendor 'NOPE'" in capsys.readouterr().err
