"""What row-level security costs: a supplier's pages on its own login against the same pages as a preview.

    python bench/rls.py [--skus 3000 --locations 6 --days 60 --runs 7]
    python bench/rls.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/vmi_1m [--runs 3]

Starts a throwaway PostgreSQL cluster and fills it with the demo generator, or (``--database-url``, a
superuser's URL) uses a database already built and migrated (``bench/build_db.py``'s million pairs).
Adds a supplier user (its own login) for the first vendor, or with ``--database-url`` for the vendor
with the most agreements, then times, ``--runs`` times each (min / median / max):

- the Stock page's first page of 200 rows and its row count, and the dashboard's pair counts,
- the supplier workspace's figures (scorecard, the 500 worst pairs' health of the year, proposals),
- on the supplier's own login (the database's policies and the app's scope both apply),
- as the parts manager's preview of that vendor (the app's scope only, on the manager's login),
- as the parts manager (no scope; the workspace is a supplier's, so not timed for it).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from tests.pg import start_cluster
from vmi_desktop import users
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.demo import generate
from vmi_desktop.identity import login_postgresql
from vmi_desktop.models import Role, SupplyAgreement, User, Vendor
from vmi_desktop.queries import StockQuery
from vmi_desktop.queries.base import PageRequest
from vmi_desktop.queries.dashboard import pair_counts
from vmi_desktop.queries.supplier_workspace import workspace_summary
from vmi_desktop.scope import Actor, supplier_preview


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """(min, median, max) milliseconds of ``runs`` calls (one warm-up call first)."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return min(samples), statistics.median(samples), max(samples)


def pages(db: Database, actor: Actor) -> Callable[[], object]:
    """The Stock page's first page and count, and the dashboard's pair counts."""
    query = StockQuery()

    def run() -> object:
        with db.sessions() as session:
            rows = query.page(session, actor, PageRequest(sort_key="part_number"), 0, 200)
            total = query.count(session, actor, PageRequest())
            counts = pair_counts(session, actor)
        return len(rows), total, counts

    return run


def workspace(db: Database, actor: Actor) -> Callable[[], object]:
    """The supplier workspace's figures as its page loads them (the worst pairs first)."""

    def run() -> object:
        with db.sessions() as session:
            summary = workspace_summary(session, actor, shown=WORKSPACE_SHOWN)
        return summary.pairs, [(h.sku_id, h.location_id, h.on_hand) for h in summary.health]

    return run


#: The worst pairs the supplier workspace shows (``ui.pages.supplier``'s first load).
WORKSPACE_SHOWN = 500


def throwaway_database(cluster: Any, args: argparse.Namespace) -> tuple[Database, Actor]:
    """A new database on the throwaway cluster, filled by the demo generator."""
    admin = create_database(cluster.url("postgres"))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE DATABASE vmi_rls_bench"))
    admin.dispose()
    db = create_database(cluster.url("vmi_rls_bench"))
    upgrade_database(db)
    started = time.perf_counter()
    manager = login_postgresql(db)
    generate(db, skus=args.skus, locations=args.locations, vendors=6, days=args.days, manager=manager.name)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    print(f"demo database: {args.skus} SKUs x {args.locations} locations in {time.perf_counter() - started:.0f} s")
    return db, manager


def chosen_vendor(db: Database, busiest: bool) -> tuple[int, str]:
    """The first vendor by code, or the one with the most agreements."""
    with db.sessions() as session:
        if not busiest:
            return session.execute(select(Vendor.id, Vendor.code).order_by(Vendor.code)).one()._tuple()
        count = func.count(SupplyAgreement.id)
        vendor_id = session.execute(
            select(SupplyAgreement.vendor_id).group_by(SupplyAgreement.vendor_id).order_by(count.desc()).limit(1)
        ).scalar_one()
        return vendor_id, session.execute(select(Vendor.code).where(Vendor.id == vendor_id)).scalar_one()


def supplier_login(db: Database, manager: Actor, vendor_code: str) -> tuple[Database, Actor]:
    """A supplier user of ``vendor_code`` with its own login (made once: a second run reuses it)."""
    name = "bench_supplier"
    password = secrets.token_urlsafe(16)
    with db.transaction() as session:
        if session.scalar(select(User.id).where(User.username == name)) is None:
            users.add_user(session, manager, name, Role.SUPPLIER, vendor_code, password=password)
        else:
            users.reset_password(session, manager, name, password)
    login = make_url(db.url).set(username=name, password=None).render_as_string(hide_password=False)
    supplier_db = create_database(login, password=lambda *_a: password)
    return supplier_db, login_postgresql(supplier_db)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a superuser's URL of a migrated database (default: a throwaway one)")
    parser.add_argument("--skus", type=int, default=3000)
    parser.add_argument("--locations", type=int, default=6)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    cluster = None if args.database_url else start_cluster()
    try:
        if cluster is not None:
            db, manager = throwaway_database(cluster, args)
        else:
            db = create_database(args.database_url)
            manager = login_postgresql(db)
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        vendor_id, code = chosen_vendor(db, busiest=cluster is None)
        supplier_db, supplier = supplier_login(db, manager, code)
        preview = supplier_preview(manager, vendor_id, code)
        cases = [
            (f"{code} on its own login (RLS + scope)", supplier_db, supplier),
            (f"preview of {code} (scope, manager's login)", db, preview),
            ("parts manager (no scope)", db, manager),
        ]
        results: dict[tuple[str, str], object] = {}
        for what, work in (("pages", pages), ("workspace", workspace)):
            for name, target, actor in cases:
                if what == "workspace" and actor is manager:
                    continue
                results[(what, name)] = work(target, actor)()
                low, mid, high = timed(work(target, actor), args.runs)
                print(f"{what:<9} {name:<46} min {low:8.1f} ms  median {mid:8.1f} ms  max {high:8.1f} ms")
            own, previewed = results[(what, cases[0][0])], results[(what, cases[1][0])]
            print(f"{what}: same rows on the supplier's login and in the preview: {own == previewed}")
        print(f"load average {os.getloadavg()[0]:.2f} after")
        supplier_db.dispose()
        db.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
