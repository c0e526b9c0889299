"""``vmi-desktop sync``: run supplier syncs without a window (once, or on each vendor's schedule)."""

from __future__ import annotations

import argparse
import threading
import time

from sqlalchemy import select

from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli._types import bounded_float
from vmi_desktop.errors import NotFoundError, VmiError
from vmi_desktop.models import ConnectionKind, Vendor, utcnow
from vmi_desktop.scope import Action, require


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="send queued messages to suppliers and pull their events",
        description="Credentials come from VMI_SUPPLIER_TOKEN_<VENDORCODE> (bearer) when set, else the OS keyring.",
    )
    parser.add_argument(
        "--vendor", help="only this vendor (code); default: every vendor connected by REST or by files with a folder"
    )
    parser.add_argument("--once", action="store_true", help="one run per vendor, then exit")
    parser.add_argument(
        "--timeout", type=bounded_float(0.1, 3600.0), default=10.0, help="seconds per supplier call (default 10)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.sync.auth import VendorCredentials
    from vmi_desktop.sync.engine import SyncEngine, due_vendors, load_credentials

    db, actor = open_db_as_user(args)
    require(actor, Action.RUN_SYNC)
    if args.vendor:
        with db.transaction() as session:
            vendor_id = session.scalar(select(Vendor.id).where(Vendor.code == args.vendor))
        if vendor_id is None:
            raise NotFoundError(f"unknown vendor {args.vendor!r}")
        vendor_ids = [vendor_id]
    else:
        vendor_ids = due_vendors(db)
    if not vendor_ids:
        print("no vendor is connected by REST or by files; nothing to sync")
        return 0
    engine = SyncEngine(db, timeout=args.timeout)
    stop = threading.Event()
    next_run = dict.fromkeys(vendor_ids, 0.0)
    failures = 0
    while True:
        for vendor_id in vendor_ids:
            if time.monotonic() < next_run[vendor_id]:
                continue
            with db.transaction() as session:
                vendor = session.get(Vendor, vendor_id)
                assert vendor is not None
                code, interval = vendor.code, vendor.sync_interval_s
                by_rest = vendor.connection_kind == ConnectionKind.REST
            next_run[vendor_id] = time.monotonic() + interval
            try:
                credentials = load_credentials(code) if by_rest else VendorCredentials()
            except VmiError as exc:  # one vendor's missing credentials do not stop the others
                print(f"{code}: error: {exc}", flush=True)
                failures += 1
                continue
            report = engine.sync_vendor(vendor_id, credentials, cancel=stop)
            status = "ok" if report.error is None else f"error: {report.error}"
            print(
                f"{code}: sent {report.sent}, failed {report.failed}, events applied {report.events_applied}, "
                f"rejected {report.events_rejected}, pending {report.pending}"
                + (f", files read {report.files_received}, rejected {report.files_rejected}" if not by_rest else "")
                + f"; {status}",
                flush=True,
            )
            failures += report.error is not None
            if report.pending and report.next_attempt_at is not None:  # a retry due before the next interval
                retry_in = (report.next_attempt_at - utcnow()).total_seconds()
                next_run[vendor_id] = min(next_run[vendor_id], time.monotonic() + max(1.0, retry_in))
        if args.once:
            return 1 if failures else 0
        stop.wait(max(1.0, min(next_run.values()) - time.monotonic()))
