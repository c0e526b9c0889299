"""``vmi-desktop demo``: fill an empty database with a generated, believable world."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from vmi_desktop.bootstrap import login
from vmi_desktop.cli._common import open_db, settings_from
from vmi_desktop.cli._types import bounded_int
from vmi_desktop.config import current_os_user
from vmi_desktop.errors import PermissionDenied, ValidationError
from vmi_desktop.models import Role

if TYPE_CHECKING:
    from vmi_desktop.demo import GenerationStats


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="fill an empty database with demo data (deterministic by --seed; scales to millions of rows)"
    )
    parser.add_argument("--skus", type=bounded_int(1, 5_000_000), default=500, help="number of SKUs (default 500)")
    parser.add_argument("--locations", type=bounded_int(1, 10_000), default=3, help="number of locations (default 3)")
    parser.add_argument("--vendors", type=bounded_int(1, 10_000), default=6, help="number of vendors (default 6)")
    parser.add_argument("--days", type=bounded_int(7, 36_500), default=730, help="days of history (default 730)")
    parser.add_argument(
        "--seed", type=bounded_int(0, 2**32 - 1), default=42, help="random seed: same seed, same data (default 42)"
    )
    parser.add_argument(
        "--movements",
        type=bounded_int(1, 2_000_000_000),
        default=None,
        help="aim for about this many ledger movements (scales demand density)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace a non-empty SQLite file (demo data is never mixed with existing data)",
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="fill only an empty database; leave one that holds data as it is (exit 0)",
    )
    parser.set_defaults(handler=run)


def _progress() -> tuple[float, Callable[[str, float], None]]:
    started = time.perf_counter()
    last_stage = [""]
    last_shown = [-1.0]

    def show(stage: str, fraction: float) -> None:
        if stage != last_stage[0] or fraction - last_shown[0] >= 0.05 or fraction >= 1.0:
            last_stage[0], last_shown[0] = stage, fraction
            print(f"  [{time.perf_counter() - started:7.1f}s] {fraction * 100:5.1f}%  {stage}", flush=True)

    return started, show


def print_summary(stats: GenerationStats) -> None:
    """Rows per table and the overall rate, as the CLI and the bench print them."""
    print(
        f"generated {stats.skus} SKUs x {stats.locations} locations ({stats.pairs} pairs), "
        f"{stats.vendors} vendors, {stats.days} days ({stats.start} .. {stats.end})"
    )
    for table, rows in sorted(stats.rows.items(), key=lambda kv: -kv[1]):
        secs = stats.table_seconds.get(table)
        rate = f"{rows / secs:12,.0f} rows/s" if secs else ""
        print(f"  {table:<22} {rows:>12,} {rate}")
    for name, secs in stats.table_seconds.items():
        if name.startswith(("index ", "constraint ")):
            print(f"  {name:<40} {secs:8.1f}s")
    if stats.po_statuses:
        print("  purchase orders by status: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.po_statuses.items())))
    print(f"total {stats.total_rows:,} rows in {stats.seconds:.1f}s ({stats.rows_per_second:,.0f} rows/s)")


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.demo import check_sizes, database_is_empty, generate  # numpy: only when generating

    settings = settings_from(args)
    check_sizes(args.skus, args.locations, args.vendors, args.days)  # before anything is touched
    db = open_db(args)
    if not database_is_empty(db):
        if args.if_empty:
            print(f"{db.display_name()} already holds data; left as it is.")
            return 0
        path = db.sqlite_path
        if not args.force:
            raise ValidationError(
                f"{db.display_name()} already holds data; demo data is never mixed with existing data. "
                "Point --database-url at an empty database"
                + (", or add --force to delete this SQLite file and start over." if path else ".")
            )
        if path is None:
            raise ValidationError(
                f"{db.display_name()} already holds data and is not a SQLite file: --force will not delete a "
                "server database. Drop and recreate it yourself (or use an empty one), then run demo again."
            )
        actor = login(db, settings)  # an unknown user is refused here, before anything is deleted
        if actor.role is not Role.PARTS_MANAGER:
            raise PermissionDenied(
                f"{actor.name} ({actor.role.value.replace('_', ' ')}) may not replace a database that holds data; "
                "only a parts manager may use demo --force"
            )
        db.dispose()
        print(f"--force: deleting {path} and creating it afresh (existing data is not mixed with demo data)")
        for suffix in ("", "-wal", "-shm", "-journal"):
            victim = path.with_name(path.name + suffix)
            if victim.exists():
                victim.unlink()
        db = open_db(args)
    manager = settings.username or current_os_user()
    if db.is_postgresql:
        # the login is the identity: the owner's (or a superuser's) login is the first parts manager, and
        # row-level security lets it write the demo world
        manager = login(db, settings).name
    print(f"filling {db.display_name()} (seed {args.seed})", flush=True)
    _, show = _progress()
    stats = generate(
        db,
        skus=args.skus,
        locations=args.locations,
        vendors=args.vendors,
        days=args.days,
        seed=args.seed,
        movements=args.movements,
        progress=show,
        manager=manager,
    )
    print_summary(stats)
    db.dispose()
    sys.stdout.flush()
    return 0
