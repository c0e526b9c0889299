"""``vmi-desktop sync``: run supplier syncs without a window (once, or on each vendor's schedule).

Running continuously, the command outlives the database: when it cannot be reached (a PostgreSQL
server stopped, a SQLite file locked) each round says so in one line, waits with a growing pause
and tries again; once the database answers, every vendor is synced at once and the schedule
resumes. ``--reset-cursor --vendor X`` forgets a vendor's feed cursor (a parts manager's action).
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import TYPE_CHECKING

from vmi_desktop.cli._common import open_db_as_user, vendor_id_of
from vmi_desktop.cli._types import bounded_float, bounded_int
from vmi_desktop.db import Database
from vmi_desktop.db.errors import DatabaseError, classify, is_database_error
from vmi_desktop.errors import NotFoundError, ValidationError, VmiError
from vmi_desktop.models import ConnectionKind, Vendor, utcnow
from vmi_desktop.scope import Action, Actor, require

if TYPE_CHECKING:
    from vmi_desktop.sync.engine import SyncEngine

#: Pauses between tries while the database cannot be reached: 1 s, doubling, at most this.
DB_RETRY_MAX_S = 60.0


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
        "--timeout",
        type=bounded_float(0.1, 3600.0),
        default=10.0,
        help="seconds a supplier call may take in all, answer included (default 10)",
    )
    parser.add_argument(
        "--max-pages",
        type=bounded_int(1, 100_000),
        default=None,
        help="event pages pulled per run at most (default 40; the rest comes next run)",
    )
    parser.add_argument(
        "--reset-cursor",
        action="store_true",
        help="forget the vendor's feed cursor (with --vendor): the next sync reads the supplier's feed from "
        "its start, skipping events already applied (for a supplier that lost its feed)",
    )
    parser.set_defaults(handler=run)


def _vendor_id(db: Database, code: str) -> int:
    with db.transaction() as session:
        vendor_id = vendor_id_of(session, code)
    if vendor_id is None:  # an empty code
        raise NotFoundError(f"unknown vendor {code!r}")
    return vendor_id


def _reset(db: Database, actor: Actor, vendor: str | None) -> int:
    from vmi_desktop import commands
    from vmi_desktop.sync.inbox import reset_cursor

    if not vendor:
        raise ValidationError("--reset-cursor needs --vendor CODE (the vendor whose feed cursor is forgotten)")
    vendor_id = _vendor_id(db, vendor)
    old = commands.run(db, lambda uow: reset_cursor(uow.session, actor, vendor_id))
    was = f"was {old!r}" if old is not None else "there was none"
    print(
        f"{vendor}: feed cursor reset ({was}); the next sync reads the supplier's feed from its start, "
        "skipping events already applied",
        flush=True,
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.sync.engine import MAX_PAGES_PER_RUN, SyncEngine, due_vendors

    db, actor = open_db_as_user(args)
    if args.reset_cursor:
        return _reset(db, actor, args.vendor)
    require(actor, Action.RUN_SYNC)
    vendor_ids = [_vendor_id(db, args.vendor)] if args.vendor else due_vendors(db)
    if not vendor_ids:
        print("no vendor is connected by REST or by files; nothing to sync")
        return 0
    engine = SyncEngine(db, timeout=args.timeout, max_pages=args.max_pages or MAX_PAGES_PER_RUN)
    if args.once:
        return 1 if _round(db, engine, vendor_ids, dict.fromkeys(vendor_ids, 0.0), threading.Event()) else 0
    return _forever(db, engine, vendor_ids)


def _round(
    db: Database, engine: SyncEngine, vendor_ids: list[int], next_run: dict[int, float], stop: threading.Event
) -> int:
    """Sync every vendor that is due; returns how many failed. A database failure is raised, not counted."""
    from vmi_desktop.sync.auth import VendorCredentials
    from vmi_desktop.sync.engine import load_credentials

    failures = 0
    for vendor_id in vendor_ids:
        if time.monotonic() < next_run[vendor_id]:
            continue
        with db.transaction() as session:
            vendor = session.get(Vendor, vendor_id)
            if vendor is None:
                continue
            code, interval = vendor.code, vendor.sync_interval_s
            by_rest = vendor.connection_kind == ConnectionKind.REST
        next_run[vendor_id] = time.monotonic() + interval
        try:
            credentials = load_credentials(code, vendor_id) if by_rest else VendorCredentials()
        except VmiError as exc:  # one vendor's missing credentials do not stop the others
            print(f"{code}: error: {exc}", flush=True)
            failures += 1
            continue
        report = engine.sync_vendor(vendor_id, credentials, cancel=stop)
        if report.database_error:
            next_run[vendor_id] = 0.0  # run again as soon as the database answers
            raise DatabaseError(report.error or "the database failed")
        status = "ok" if report.error is None else f"error: {report.error}"
        more = "; more events waiting" if report.more_events else ""
        print(
            f"{code}: sent {report.sent}, failed {report.failed}, events applied {report.events_applied}, "
            f"rejected {report.events_rejected}, pending {report.pending}{more}"
            + (f", files read {report.files_received}, rejected {report.files_rejected}" if not by_rest else "")
            + f"; {status}",
            flush=True,
        )
        failures += report.error is not None
        if report.more_events:
            next_run[vendor_id] = time.monotonic() + 1.0
        elif report.pending and report.next_attempt_at is not None:  # a retry due before the next interval
            retry_in = (report.next_attempt_at - utcnow()).total_seconds()
            next_run[vendor_id] = min(next_run[vendor_id], time.monotonic() + max(1.0, retry_in))
    return failures


def _forever(db: Database, engine: SyncEngine, vendor_ids: list[int]) -> int:
    """Round after round on each vendor's schedule; a database that fails is waited for, not fatal."""
    stop = threading.Event()
    next_run = dict.fromkeys(vendor_ids, 0.0)
    outage = 0
    while True:
        try:
            _round(db, engine, vendor_ids, next_run, stop)
        except Exception as exc:
            if not (isinstance(exc, DatabaseError) or is_database_error(exc)):
                raise
            outage += 1
            pause = min(DB_RETRY_MAX_S, 2.0 ** (outage - 1))
            print(f"database: {classify(exc)} Trying again in {pause:.0f} s.", flush=True)
            stop.wait(pause)
            continue
        if outage:
            print("database: reachable again", flush=True)
            outage = 0
        stop.wait(max(1.0, min(next_run.values()) - time.monotonic()))
