"""File exchange at size: a 100,000-line stock report written as X12 846 and as EDIFACT INVRPT, and
100,000 agreement rows imported from XLSX (into a fresh SQLite database holding 1,000 SKUs x 100
locations and 1 vendor).

Each measurement runs 3 times, each in a fresh process (peak memory is that process's maximum
resident set, which includes the interpreter and libraries). Prints min/median/max and the load.

    python bench/exchange.py            # all three
    python bench/exchange.py --only import
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

LINES = 100_000
SKUS, LOCATIONS = 1000, 100


def _report() -> object:
    from vmi_desktop.exchange.messages import StockLine, StockReport

    now = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    lines = tuple(
        StockLine(
            f"LOC-{i % LOCATIONS:03d}",
            f"P-{i // LOCATIONS:05d}",
            f"S-{i}",
            "EA",
            Decimal(i % 97),
            Decimal(3),
            Decimal(10),
            Decimal(40),
            now,
        )
        for i in range(LINES)
    )
    return StockReport("4f1c2d3e-0000-4111-8222-333344445555", now, "full", lines)


def run_x12() -> dict[str, float]:
    from vmi_desktop.exchange import x12, x12_sets

    report = _report()
    partner = x12.Partner("ZZ", "VMIDESKTOP", "ZZ", "NORDBR", "VMIDESKTOP", "NORDBR")
    started = time.perf_counter()
    data = x12_sets.encode(report, partner, 1, now=datetime.now(UTC))  # type: ignore[arg-type]
    return {"seconds": time.perf_counter() - started, "bytes": len(data)}


def run_edifact() -> dict[str, float]:
    from vmi_desktop.exchange import edifact, edifact_messages

    report = _report()
    party = edifact.Party("VMIDESKTOP", "ZZZ", "EUSEAL", "ZZZ")
    started = time.perf_counter()
    data = edifact_messages.encode(report, party, 1, now=datetime.now(UTC))  # type: ignore[arg-type]
    return {"seconds": time.perf_counter() - started, "bytes": len(data)}


def _world(url: str, xlsx: Path) -> None:
    from openpyxl import Workbook
    from sqlalchemy import insert

    from vmi_desktop.db import create_database
    from vmi_desktop.db.migrate import upgrade_database
    from vmi_desktop.models import Location, Sku, Vendor, utcnow

    db = create_database(url)
    upgrade_database(db)
    now = utcnow()
    with db.transaction() as s:
        s.execute(insert(Vendor), [{"code": "BENCH", "name": "Bench Supply", "version": 1, "updated_at": now}])
        s.execute(
            insert(Sku),
            [
                {"part_number": f"P-{i:05d}", "description": "", "uom": "EA", "version": 1, "updated_at": now}
                for i in range(SKUS)
            ],
        )
        s.execute(
            insert(Location),
            [
                {"code": f"LOC-{i:03d}", "name": f"Location {i}", "version": 1, "updated_at": now}
                for i in range(LOCATIONS)
            ],
        )
    db.dispose()
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("agreements")
    ws.append(
        [
            "vendor",
            "sku",
            "location",
            "supplier_sku",
            "min_qty",
            "max_qty",
            "mode",
            "lead_time_days",
            "pack_size",
            "moq",
            "unit_price",
            "currency",
        ]
    )
    for i in range(LINES):
        ws.append(
            [
                "BENCH",
                f"P-{i // LOCATIONS:05d}",
                f"LOC-{i % LOCATIONS:03d}",
                f"S-{i}",
                i % 7,
                10 + i % 7,
                "auto_po",
                5,
                1,
                0,
                3.1,
                "EUR",
            ]
        )
    workbook.save(xlsx)


def run_import(workdir: Path) -> dict[str, float]:
    from vmi_desktop import importer
    from vmi_desktop.db import create_database
    from vmi_desktop.scope import SYSTEM

    db = create_database(f"sqlite:///{workdir / 'bench.sqlite3'}")
    started = time.perf_counter()
    plan = importer.apply(db, SYSTEM, "agreements", workdir / "agreements.xlsx")
    seconds = time.perf_counter() - started
    assert plan.count("create") == LINES, plan.summary()
    return {"seconds": seconds, "rows": LINES}


def _one(kind: str, workdir: Path) -> None:
    result = {"x12": run_x12, "edifact": run_edifact}[kind]() if kind != "import" else run_import(workdir)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _prepare_import(workdir: Path) -> None:
    db_file = workdir / "bench.sqlite3"
    template = workdir / "template.sqlite3"
    if not template.exists():
        _world(f"sqlite:///{template}", workdir / "agreements.xlsx")
    db_file.write_bytes(template.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["x12", "edifact", "import"])
    parser.add_argument("--one", choices=["x12", "edifact", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.one:
        _one(args.one, args.workdir)
        return 0
    print(f"load before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for kind in [args.only] if args.only else ["x12", "edifact", "import"]:
            results = []
            for _ in range(args.runs):
                if kind == "import":
                    _prepare_import(workdir)
                out = subprocess.run(
                    [sys.executable, __file__, "--one", kind, "--workdir", str(workdir)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            times = sorted(r["seconds"] for r in results)
            peaks = sorted(r["peak_mib"] for r in results)
            label = {"x12": "846, 100k lines", "edifact": "INVRPT, 100k lines", "import": "agreements XLSX, 100k rows"}[
                kind
            ]
            print(
                f"{label}: time min {times[0]:.2f} s / median {statistics.median(times):.2f} s"
                f" / max {times[-1]:.2f} s; "
                f"peak RSS min {peaks[0]:.0f} / median {statistics.median(peaks):.0f} / max {peaks[-1]:.0f} MiB"
                + (f"; {results[0]['bytes'] / 1e6:.1f} MB" if "bytes" in results[0] else "")
            )
    print(f"load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
