"""Sync throughput on loopback: push a 100,000-line full stock report, pull 10,000 events.

Usage: ``python bench/sync.py [--lines 100000] [--events 10000] [--database-url URL]``

``python bench/sync.py --mixed-events bench/out/vmi-1m.sqlite3 [--events 10000] [--runs 3]`` applies
10,000 mixed supplier events (order.created, order.acknowledged, shipment.dispatched,
order.cancelled, thresholds.proposed, about 1 % of them bad on purpose) against a copy of the
1,000,000-pair database that ``bench/build_db.py`` builds, per run: the pull runs in its own process,
whose peak RSS is read when it ends (``os.wait4``), and afterwards every event is checked to have
been applied or rejected exactly once, with the domain rows to match.

``python bench/sync.py --full-sync bench/out/vmi-1m.sqlite3 [--runs 3]`` times the first full sync of
the largest REST vendor of that database (a full stock report and 90 days of usage, queued and sent
to the reference supplier) in a child process, with its peak RSS (``bench/sync_full.py``).

The report is built from the database in batches of 1000 lines (one message each), queued in the
outbox and sent to the reference supplier; events are pulled in pages of 500 and applied. Each
phase is run once for time and once more under tracemalloc for the peak of Python allocations
(tracemalloc slows Python down, so the two are kept apart). The reference supplier runs in its
own process, as a real supplier would, so its work is not counted against the client.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import insert, select

from vmi_desktop.db import create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.models import (
    AuthKind,
    ConnectionKind,
    Location,
    Sku,
    StockLevel,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.sync import outbox
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine

TOKEN = "bench-token"


def build(url: str, lines: int, server_url: str) -> tuple[Any, int, list[tuple[str, str]]]:
    db = create_database(url)
    upgrade_database(db)
    locations = 100
    per_location = max(1, lines // locations)
    now = utcnow()
    with db.transaction() as s:
        vendor = Vendor(
            code="BENCH",
            name="Bench Supplier",
            connection_kind=ConnectionKind.REST,
            base_url=server_url,
            auth_kind=AuthKind.BEARER,
            customer_id="C-BENCH",
            updated_by="bench",
        )
        s.add(vendor)
        s.execute(
            insert(Location),
            [
                {
                    "code": f"L-{i:03d}",
                    "name": f"Location {i}",
                    "kind": "warehouse",
                    "allow_negative_stock": False,
                    "active": True,
                    "version": 1,
                    "updated_at": now,
                }
                for i in range(locations)
            ],
        )
        s.execute(
            insert(Sku),
            [
                {
                    "part_number": f"P-{i:06d}",
                    "description": "",
                    "uom": "EA",
                    "unit_cost": 1,
                    "criticality": "normal",
                    "active": True,
                    "version": 1,
                    "updated_at": now,
                }
                for i in range(per_location)
            ],
        )
        s.flush()
        loc_ids = s.scalars(select(Location.id).order_by(Location.id)).all()
        sku_ids = s.scalars(select(Sku.id).order_by(Sku.id)).all()
        batch: list[dict[str, Any]] = []
        levels: list[dict[str, Any]] = []
        for loc in loc_ids:
            for sku in sku_ids:
                batch.append(
                    {
                        "vendor_id": vendor.id,
                        "sku_id": sku,
                        "location_id": loc,
                        "min_qty": 2,
                        "max_qty": 9,
                        "pack_size": 1,
                        "moq": 0,
                        "unit_price": 1,
                        "is_primary": True,
                        "active": True,
                        "version": 1,
                        "updated_at": now,
                        "mode": "supplier_managed",
                        "lead_time_days": 3,
                        "currency": "EUR",
                        "supplier_sku": "",
                        "critical_priority": False,
                    }
                )
                levels.append({"sku_id": sku, "location_id": loc, "on_hand": 5, "updated_at": now})
                if len(batch) >= 10000:
                    s.execute(insert(SupplyAgreement), batch)
                    s.execute(insert(StockLevel), levels)
                    batch, levels = [], []
        if batch:
            s.execute(insert(SupplyAgreement), batch)
            s.execute(insert(StockLevel), levels)
        vendor_id = vendor.id
        pairs = [(f"L-{i:03d}", f"P-{j:06d}") for i in range(3) for j in range(min(per_location, 100))]
    return db, vendor_id, pairs


def measure(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vmi_desktop",
            "supplier-server",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--vendor-name",
            "Bench Supplier",
            "--no-replenish",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.rsplit(" on ", 1)[1].strip()
    return proc, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--mixed-events", metavar="SQLITE_FILE", type=Path, help="the mixed event bench (see above)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="with --mixed-events: cProfile the pull into FILE")
    parser.add_argument("--full-sync", metavar="SQLITE_FILE", type=Path, help="the first full sync bench (see above)")
    parser.add_argument("--full-child", metavar="VENDOR_ID", help=argparse.SUPPRESS)
    parser.add_argument("--pull-child", nargs=3, metavar=("URL", "VENDOR_ID", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pull_child:
        from sync_events import pull_child

        return pull_child(*args.pull_child)
    if args.full_child:
        from sync_full import full_child

        return full_child(args.full_child)
    if args.full_sync:
        from sync_full import full_sync

        return full_sync(args.full_sync, runs=args.runs)
    if args.mixed_events:
        from sync_events import mixed_events

        return mixed_events(args.mixed_events, events=args.events, runs=args.runs, profile=args.profile)
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    proc, server_url = start_server()
    control = httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    try:
        t0 = time.perf_counter()
        db, vendor_id, pairs = build(url, args.lines, server_url)
        print(f"setup: {args.lines} agreement lines in {time.perf_counter() - t0:.1f} s ({db.engine.dialect.name})")
        engine = SyncEngine(db, timeout=30)
        creds = VendorCredentials(token=TOKEN)

        def push() -> Any:
            with db.transaction() as s:
                outbox.enqueue_stock_report(s, vendor_id, "full")
            return engine.sync_vendor(vendor_id, creds)

        seconds, report = measure(push)
        assert report.error is None, report.error
        lines = control.get("/_control/stats").json()["lines"]["stock-reports"]
        print(
            f"push full report: {lines} lines in {report.sent} messages, {seconds:.2f} s "
            f"({lines / seconds:,.0f} lines/s), built from the database and sent through the outbox"
        )
        print(f"push peak Python memory (tracemalloc): {peak_mib(push):.1f} MiB")

        def add_events(n: int) -> None:
            batch = []
            for i in range(n):
                loc, sku = pairs[i % len(pairs)]
                batch.append(
                    {
                        "type": "thresholds.proposed",
                        "data": {"location_code": loc, "sku": sku, "min": 2 + i % 3, "max": 12, "reason": f"bench {i}"},
                    }
                )
            control.post("/_control/events", json=batch).raise_for_status()

        add_events(args.events)
        seconds, report = measure(lambda: engine.sync_vendor(vendor_id, creds))
        assert report.error is None, report.error
        print(
            f"pull events: {report.events_applied} applied, {report.events_rejected} rejected in {seconds:.2f} s "
            f"({report.events_applied / seconds:,.0f} events/s), pages of 500, each page one transaction"
        )
        add_events(args.events)
        print(
            f"pull peak Python memory (tracemalloc): {peak_mib(lambda: engine.sync_vendor(vendor_id, creds)):.1f} MiB"
        )
        db.dispose()
    finally:
        control.close()
        proc.terminate()
        proc.wait(timeout=10)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
