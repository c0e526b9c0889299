"""What row-level security costs: a supplier's pages on its own login against the same pages as a preview.

    python bench/rls.py [--skus 3000 --locations 6 --days 60 --runs 7]

Starts a throwaway PostgreSQL cluster, fills it with the demo generator, adds a supplier user (its own
login) for the first vendor, then times, ``--runs`` times each (min / median / max):

- the Stock page's first page of 200 rows and its row count, and the dashboard's pair counts,
- on the supplier's own login (the database's policies and the app's scope both apply),
- as the parts manager's preview of that vendor (the app's scope only, on the manager's login),
- as the parts manager (no scope).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tests.pg import start_cluster
from vmi_desktop import users
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.demo import generate
from vmi_desktop.identity import login_postgresql
from vmi_desktop.models import Role, Vendor
from vmi_desktop.queries import StockQuery
from vmi_desktop.queries.base import PageRequest
from vmi_desktop.queries.dashboard import pair_counts
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


def workload(db: Database, actor: Actor) -> Callable[[], object]:
    query = StockQuery()

    def run() -> object:
        with db.sessions() as session:
            rows = query.page(session, actor, PageRequest(sort_key="part_number"), 0, 200)
            total = query.count(session, actor, PageRequest())
            counts = pair_counts(session, actor)
        return len(rows), total, counts

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=3000)
    parser.add_argument("--locations", type=int, default=6)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    cluster = start_cluster()
    try:
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
        password = secrets.token_urlsafe(16)
        with db.transaction() as session:
            vendor_id, code = session.execute(select(Vendor.id, Vendor.code).order_by(Vendor.code)).first()  # type: ignore[misc]
            users.add_user(session, manager, "bench_supplier", Role.SUPPLIER, code, password=password)
        login = make_url(db.url).set(username="bench_supplier", password=None).render_as_string(hide_password=False)
        supplier_db = create_database(login, password=lambda *_a: password)
        supplier = login_postgresql(supplier_db)
        preview = supplier_preview(manager, vendor_id, code)
        cases = [
            (f"{code} on its own login (RLS + scope)", supplier_db, supplier),
            (f"preview of {code} (scope, manager's login)", db, preview),
            ("parts manager (no scope)", db, manager),
        ]
        results = {}
        for name, target, actor in cases:
            results[name] = workload(target, actor)()
            low, mid, high = timed(workload(target, actor), args.runs)
            print(f"{name:<46} min {low:7.1f} ms  median {mid:7.1f} ms  max {high:7.1f} ms")
        own, previewed = results[cases[0][0]], results[cases[1][0]]
        print(f"same rows on the supplier's login and in the preview: {own == previewed} ({own})")
        supplier_db.dispose()
        db.dispose()
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
