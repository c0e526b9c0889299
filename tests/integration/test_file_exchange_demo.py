"""The demo's X12, EDIFACT and CSV vendors sync through their folders from the command line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from vmi_desktop.cli import main
from vmi_desktop.exchange.partner import FilePartner

VENDORS = {"NORDBR": ("x12", "nordbr"), "EUSEAL": ("edifact", "euseal"), "FLUIDF": ("csv", "fluidf")}


def test_demo_file_vendors_write_reports_and_apply_what_comes_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("VMI_DATA_DIR", str(data))
    monkeypatch.setenv("VMI_USER", "alice")
    assert main(["demo", "--skus", "60", "--locations", "3", "--days", "30"]) == 0
    capsys.readouterr()
    for code, (standard, slug) in VENDORS.items():
        folder = data / "exchange" / slug
        assert main(["sync", "--vendor", code, "--once"]) == 0, capsys.readouterr()
        out = capsys.readouterr().out
        assert f"{code}: sent " in out and "; ok" in out
        written = sorted(p.name for p in (folder / "outbound").iterdir())
        kinds = {"x12": ("846-", "852-"), "edifact": ("INVRPT-",), "csv": ("stock_report-", "usage-")}[standard]
        assert all(any(n.startswith(k) for n in written) for k in kinds), written
        partner = FilePartner(folder, standard, vendor_id=code, customer_id="VMIDESKTOP")
        run = partner.step()
        assert run.refused == [] and run.written
        # A malformed file dropped among the partner's answers: rejected with its reason, the rest applied.
        (folder / "inbound" / "0-broken.txt").write_bytes(b"ISA*00*garbage")
        for path in (folder / "inbound").iterdir():  # settled: older than the 2 s a file must rest
            os.utime(path, (time.time() - 10, time.time() - 10))
        assert main(["sync", "--vendor", code, "--once"]) == 0
        out = capsys.readouterr().out
        assert f"files read {len(run.written) + 1}, rejected 1" in out, out
        assert (folder / "rejected" / "0-broken.txt.reason.txt").read_text().strip()
        assert sorted(p.name for p in (folder / "archive").iterdir()) == sorted(run.written)
