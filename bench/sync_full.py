"""The first full sync bench (``python bench/sync.py --full-sync FILE``): see bench/sync.py.

Per run: copy the database, point its largest REST vendor at a reference supplier (its own process)
with no sync state (its first sync: a full stock report and 90 days of usage are due), then in a
child process time queueing the reports (``schedule_reports``) and sending them (``sync_vendor``),
its peak RSS read by ``os.wait4``; afterwards the supplier's count of lines received is checked
against the vendor's agreements.
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
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync_events import TOKEN, _settle, _start_server  # noqa: E402

from vmi_desktop.db import create_database  # noqa: E402
from vmi_desktop.db.migrate import upgrade_database  # noqa: E402
from vmi_desktop.models import (  # noqa: E402
    AuthKind,
    ConnectionKind,
    OutboxMessage,
    OutboxStatus,
    SupplyAgreement,
    SyncState,
    Vendor,
)
from vmi_desktop.sync.auth import VendorCredentials  # noqa: E402
from vmi_desktop.sync.engine import SyncEngine  # noqa: E402


def full_child(vendor_id: str) -> int:
    """In the child process: queue the due reports, then send them; print what each took as JSON."""
    db = create_database(os.environ["VMI_BENCH_DB"])
    engine = SyncEngine(db, timeout=60, max_pages=10)
    profile = os.environ.get("VMI_BENCH_PROFILE")
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    queued = engine.schedule_reports(int(vendor_id))
    queue_s = time.perf_counter() - started
    queue_cpu = time.process_time()
    report = engine.sync_vendor(int(vendor_id), VendorCredentials(token=TOKEN))
    total_s = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    db.dispose()
    print(
        json.dumps(
            {
                "queue_s": queue_s,
                "queue_cpu_s": queue_cpu,
                "send_cpu_s": time.process_time() - queue_cpu,
                "send_s": total_s - queue_s,
                "messages": queued,
                "sent": report.sent,
                "error": report.error,
            }
        ),
        flush=True,
    )
    return 0


def _prepare(url: str, server_url: str) -> tuple[int, int]:
    """The largest REST vendor, reached at the reference supplier, before its first sync: (id, agreements)."""
    db = create_database(url)
    upgrade_database(db)
    with db.transaction() as s:
        vendor_id, agreements = s.execute(
            select(SupplyAgreement.vendor_id, func.count())
            .join(Vendor, Vendor.id == SupplyAgreement.vendor_id)
            .where(SupplyAgreement.active.is_(True), Vendor.connection_kind == ConnectionKind.REST)
            .group_by(SupplyAgreement.vendor_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        vendor = s.get_one(Vendor, vendor_id)
        vendor.base_url, vendor.auth_kind, vendor.active = server_url, AuthKind.BEARER, True
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.vendor_id == vendor_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.DISCARDED)
        )
        s.execute(delete(SyncState).where(SyncState.vendor_id == vendor_id))
    db.dispose()
    return vendor_id, agreements


def _one_run(source: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        copy = Path(tmp) / "bench.sqlite3"
        shutil.copyfile(source, copy)
        _settle(copy)
        url = f"sqlite:///{copy}"
        server, server_url = _start_server()
        control = httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
        try:
            vendor_id, agreements = _prepare(url, server_url)
            _settle(copy)
            load = os.getloadavg()
            child = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "sync.py"), "--full-child", str(vendor_id)],
                env=dict(os.environ, VMI_BENCH_DB=url),
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            assert child.stdout is not None
            out = child.stdout.read()
            _, status, usage = os.wait4(child.pid, 0)
            assert status == 0, f"the sync process failed ({status})"
            result = json.loads(out.strip().splitlines()[-1])
            assert result["error"] is None, result["error"]
            lines = control.get("/_control/stats").json()["lines"]
            assert lines.get("stock-reports") == agreements, (lines, agreements)
            assert result["sent"] == result["messages"], result
            server_cpu = _process_cpu(server.pid)
        finally:
            control.close()
            server.terminate()
            server.wait(timeout=10)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        **result,
        "lines": lines,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "cpu_s": cpu,
        "server_cpu_s": server_cpu,
        "load": load,
    }


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def full_sync(source: Path, *, runs: int) -> int:
    """Run the first full sync bench ``runs`` times against copies of ``source``; print each run and the spread."""
    if not source.exists():
        print(f"{source} does not exist: build it with python bench/build_db.py", file=sys.stderr)
        return 2
    results = []
    for run in range(1, runs + 1):
        r = _one_run(source)
        results.append(r)
        print(
            f"run {run}: {r['lines']} lines in {r['messages']} messages: queued in {r['queue_s']:.2f} s, "
            f"sent in {r['send_s']:.2f} s (CPU {r['queue_cpu_s']:.2f} s / {r['send_cpu_s']:.2f} s), "
            f"{r['queue_s'] + r['send_s']:.2f} s in all; sync process: CPU {r['cpu_s']:.2f} s (start-up "
            f"included), peak RSS {r['peak_rss_mib']:.0f} MiB; reference supplier CPU {r['server_cpu_s']:.2f} s; "
            f"load average {r['load'][0]:.2f} {r['load'][1]:.2f} {r['load'][2]:.2f}",
            flush=True,
        )
    totals = sorted(r["queue_s"] + r["send_s"] for r in results)
    rss = sorted(r["peak_rss_mib"] for r in results)
    print(
        f"first full sync: min {totals[0]:.2f} s, median {statistics.median(totals):.2f} s, max {totals[-1]:.2f} s; "
        f"peak RSS max {rss[-1]:.0f} MiB (goal: under 10 s in all, memory bounded)"
    )
    return 0
