"""The mixed supplier event bench (``python bench/sync.py --mixed-events FILE``): see bench/sync.py.

Per run: copy the database, point its busiest REST vendor at a reference supplier (its own process),
raise the customer orders the feed will acknowledge, ship and cancel, queue the feed, pull it in a
child process (timed there; its peak RSS read by ``os.wait4``), then check every event was applied
or rejected exactly once and the domain rows agree.
"""

from __future__ import annotations

import cProfile
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vmi_desktop.db import Database, create_database  # noqa: E402
from vmi_desktop.db.migrate import upgrade_database  # noqa: E402
from vmi_desktop.models import (  # noqa: E402
    AuthKind,
    ConnectionKind,
    InboxEvent,
    InboxStatus,
    Location,
    OutboxMessage,
    OutboxStatus,
    POOrigin,
    POStatus,
    PurchaseOrder,
    ReplenishmentMode,
    Shipment,
    Sku,
    StockMovement,
    SupplyAgreement,
    ThresholdProposal,
    Vendor,
    utcnow,
)
from vmi_desktop.replenishment import orders  # noqa: E402
from vmi_desktop.scope import SYSTEM  # noqa: E402
from vmi_desktop.sync import outbox  # noqa: E402
from vmi_desktop.sync.auth import VendorCredentials  # noqa: E402
from vmi_desktop.sync.engine import SyncEngine  # noqa: E402

TOKEN = "bench-token"
KINDS = ("order.created", "order.acknowledged", "shipment.dispatched", "order.cancelled", "thresholds.proposed")


@dataclass
class Plan:
    vendor_id: int
    events: list[dict[str, Any]]
    bad: int
    created: int


def _start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "vmi_desktop", "supplier-server", "--port", "0", "--token", TOKEN, "--no-replenish"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().rsplit(" on ", 1)[1].strip()


def _prepare(db: Database, server_url: str, blocks: int) -> Plan:
    """The vendor, the customer orders the feed refers to, and the feed itself (5 events per block)."""
    with db.transaction() as s:
        vendor_id, _ = s.execute(
            select(SupplyAgreement.vendor_id, func.count())
            .join(Vendor, Vendor.id == SupplyAgreement.vendor_id)
            .where(
                SupplyAgreement.active.is_(True),
                SupplyAgreement.mode == ReplenishmentMode.SUPPLIER_MANAGED,
                Vendor.connection_kind == ConnectionKind.REST,
            )
            .group_by(SupplyAgreement.vendor_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        vendor = s.get_one(Vendor, vendor_id)
        vendor.base_url, vendor.auth_kind, vendor.active = server_url, AuthKind.BEARER, True
        # Only the events are measured: nothing queued before, no report due.
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.vendor_id == vendor_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.DISCARDED)
        )
        state = outbox.sync_state(s, vendor_id)
        state.last_full_report_at = utcnow()
        state.last_delta_movement_id = s.scalar(select(func.max(StockMovement.id))) or 0
        state.cursor = None
        pairs = s.execute(
            select(Sku.part_number, Location.code, SupplyAgreement.sku_id, SupplyAgreement.location_id)
            .join(Sku, Sku.id == SupplyAgreement.sku_id)
            .join(Location, Location.id == SupplyAgreement.location_id)
            .where(SupplyAgreement.vendor_id == vendor_id, SupplyAgreement.active.is_(True), Sku.uom == "EA")
            .order_by(SupplyAgreement.id)
            .limit(blocks * 3)
        ).all()
        # A pair of another vendor's that this vendor has no agreement for (a shared pair would be in scope).
        own = aliased(SupplyAgreement)
        outside = s.execute(
            select(Sku.part_number, Location.code)
            .join(SupplyAgreement, SupplyAgreement.sku_id == Sku.id)
            .join(Location, Location.id == SupplyAgreement.location_id)
            .where(
                SupplyAgreement.vendor_id != vendor_id,
                ~select(own.id)
                .where(
                    own.vendor_id == vendor_id,
                    own.sku_id == SupplyAgreement.sku_id,
                    own.location_id == SupplyAgreement.location_id,
                )
                .exists(),
            )
            .limit(1)
        ).one()
    # The customer orders the supplier acknowledges, ships and cancels: sent, one line each.
    po_numbers: list[str] = []
    with db.transaction() as s:
        for b in range(blocks):
            _, _, sku_id, location_id = pairs[b * 3]
            po = orders.create_order(
                s,
                SYSTEM,
                vendor_id=vendor_id,
                location_id=location_id,
                lines=[orders.NewLine(sku_id=sku_id, quantity=Decimal(4))],
                origin=POOrigin.MANUAL,
                status=POStatus.SENT,
                note="bench",
            )
            po_numbers.append(po.po_number)
    events: list[dict[str, Any]] = []
    bad = 0
    for b in range(blocks):
        part, code, _, _ = pairs[b * 3 + 1]
        p_part, p_code, _, _ = pairs[b * 3 + 2]
        so = f"SO-BENCH-{b:05d}"
        spoiled = b % 100 == 99  # one block in a hundred names a pair outside the vendor's scope
        bad += spoiled
        events += [
            {
                "type": "order.created",
                "data": {
                    "supplier_order_id": so,
                    "location_code": code,
                    "lines": [{"line": 1, "sku": part, "quantity": 1 + b % 3, "unit_price": 2.5}],
                },
            },
            {
                "type": "order.acknowledged",
                "data": {"po_number": po_numbers[b], "status": "accepted", "lines": [{"line": 1, "quantity": 4}]},
            },
            {
                "type": "shipment.dispatched",
                "data": {
                    "shipment_id": f"SH-BENCH-{b:05d}",
                    "po_number": po_numbers[b],
                    "carrier": "REF",
                    "lines": [{"line": 1, "sku": pairs[b * 3][0], "quantity": 4}],
                },
            },
            {"type": "order.cancelled", "data": {"supplier_order_id": so, "reason": "bench: not needed after all"}},
            {
                "type": "thresholds.proposed",
                "data": {
                    "location_code": outside[1] if spoiled else p_code,
                    "sku": outside[0] if spoiled else p_part,
                    "min": 2 + b % 3,
                    "max": 12,
                    "reason": f"bench {b}",
                },
            },
        ]
    return Plan(vendor_id, events, bad, blocks)


def pull_child(server_url: str, vendor_id: str, profile: str) -> int:
    """In the child process: pull and apply the whole feed; print what it took as JSON."""
    db = create_database(os.environ["VMI_BENCH_DB"])
    engine = SyncEngine(db, timeout=60, max_pages=10_000)
    profiler = cProfile.Profile() if profile != "-" else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = engine.sync_vendor(int(vendor_id), VendorCredentials(token=TOKEN))
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = time.perf_counter() - started
    db.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "applied": report.events_applied,
                "rejected": report.events_rejected,
                "error": report.error,
            }
        ),
        flush=True,
    )
    return 0


def _check(db: Database, plan: Plan) -> dict[str, int]:
    """Every event applied or rejected exactly once, and the domain rows that say so."""
    total = len(plan.events)
    with db.transaction() as s:
        rows = s.execute(
            select(InboxEvent.status, func.count(), func.count(func.distinct(InboxEvent.event_key)))
            .where(InboxEvent.vendor_id == plan.vendor_id)
            .group_by(InboxEvent.status)
        ).all()
        by_status = {status: (n, distinct) for status, n, distinct in rows}
        applied = by_status.get(InboxStatus.APPLIED, (0, 0))
        rejected = by_status.get(InboxStatus.REJECTED, (0, 0))
        assert applied[0] == applied[1] and rejected[0] == rejected[1], "an event id stored twice"
        assert applied[0] + rejected[0] == total, f"{applied[0]} + {rejected[0]} events kept, {total} sent"
        assert rejected[0] == plan.bad, f"{rejected[0]} rejected, {plan.bad} bad ones planted"
        supplier = dict(
            s.execute(
                select(PurchaseOrder.status, func.count())
                .where(PurchaseOrder.vendor_id == plan.vendor_id, PurchaseOrder.supplier_order_id.like("SO-BENCH-%"))
                .group_by(PurchaseOrder.status)
            ).all()
        )
        assert supplier == {POStatus.CANCELLED: plan.created}, supplier
        shipped = s.scalar(select(func.count()).select_from(Shipment).where(Shipment.external_id.like("SH-BENCH-%")))
        assert shipped == plan.created, shipped
        proposals = s.scalar(
            select(func.count()).select_from(ThresholdProposal).where(ThresholdProposal.reason.like("bench %"))
        )
        assert proposals == plan.created - plan.bad, proposals
    return {"applied": applied[0], "rejected": rejected[0]}


def _settle(path: Path) -> None:
    """Write the fresh copy out to disk before anything is timed.

    Otherwise the first checkpoint of the timed pull pays for flushing the gigabytes the copy left in
    the page cache, which no user's database file carries.
    """
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _one_run(source: Path, blocks: int, profile: str | None, run: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        copy = Path(tmp) / "bench.sqlite3"
        if os.environ.get("VMI_BENCH_PREPARE_ONLY"):
            copy = Path(os.environ["VMI_BENCH_PREPARE_ONLY"])
        shutil.copyfile(source, copy)
        _settle(copy)
        url = f"sqlite:///{copy}"
        db = create_database(url)
        upgrade_database(db)
        server, server_url = _start_server()
        control = httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
        try:
            t0 = time.perf_counter()
            plan = _prepare(db, server_url, blocks)
            control.post("/_control/events", json=plan.events).raise_for_status()
            setup = time.perf_counter() - t0
            if os.environ.get("VMI_BENCH_PREPARE_ONLY"):
                print(f"prepared {copy}: vendor {plan.vendor_id}, server {server_url} (Ctrl-C to stop)", flush=True)
                server.wait()
            load_before = os.getloadavg()
            child = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "bench" / "sync.py"),
                    "--pull-child",
                    server_url,
                    str(plan.vendor_id),
                    f"{profile}.{run}" if profile else "-",
                ],
                env=dict(os.environ, VMI_BENCH_DB=url),
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            assert child.stdout is not None
            out = child.stdout.read()
            _, status, usage = os.wait4(child.pid, 0)
            assert status == 0, f"the pull process failed ({status})"
            result = json.loads(out.strip().splitlines()[-1])
            assert result["error"] is None, result["error"]
            checked = _check(db, plan)
            db.dispose()
        finally:
            control.close()
            server.terminate()
            server.wait(timeout=10)
    return {
        **result,
        **checked,
        "setup_s": setup,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "load": load_before,
    }


def mixed_events(source: Path, *, events: int, runs: int, profile: str | None) -> int:
    """Run the mixed event bench ``runs`` times against copies of ``source``; print each run and the spread."""
    if not source.exists():
        print(f"{source} does not exist: build it with python bench/build_db.py", file=sys.stderr)
        return 2
    blocks = max(1, events // len(KINDS))
    results = []
    for run in range(1, runs + 1):
        r = _one_run(source, blocks, profile, run)
        results.append(r)
        print(
            f"run {run}: {r['applied'] + r['rejected']:,} mixed events ({', '.join(KINDS)}) in {r['seconds']:.2f} s "
            f"({(r['applied'] + r['rejected']) / r['seconds']:,.0f} events/s): {r['applied']:,} applied, "
            f"{r['rejected']} rejected, each exactly once; "
            f"pulling process: CPU {r['cpu_s']:.2f} s (start-up included), "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB; "
            f"load average {r['load'][0]:.2f} {r['load'][1]:.2f} {r['load'][2]:.2f} (setup {r['setup_s']:.1f} s)",
            flush=True,
        )
    seconds = sorted(r["seconds"] for r in results)
    rss = sorted(r["peak_rss_mib"] for r in results)
    print(
        f"mixed events: min {seconds[0]:.2f} s, median {statistics.median(seconds):.2f} s, max {seconds[-1]:.2f} s; "
        f"peak RSS min {rss[0]:.0f} MiB, median {statistics.median(rss):.0f} MiB, max {rss[-1]:.0f} MiB "
        f"(goal: under 5 s for 10,000)"
    )
    return 0
