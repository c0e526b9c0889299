"""Benchmark the full reorder evaluation on a large database against its SQL floor.

    python bench/reorder.py                       # throwaway PostgreSQL cluster, 50,000 SKUs x 20 locations
    python bench/reorder.py --database-url postgresql://...   # an empty database it may fill (or --reuse one)
    python bench/reorder.py --database-url sqlite:///big.sqlite3 --skus 5000

It builds (unless ``--reuse``) 1,000,000 stock_levels rows and as many supply agreements with bulk
loads (COPY on PostgreSQL, executemany on SQLite), about ``--below`` of them at or below min, then
prints:

- floor: the bare below-min query (the same SQL ``reorder.evaluate`` runs) executed through the
  DBAPI cursor and fetched, best of three;
- dry run: ``evaluate(dry_run=True)`` (query + quantities, nothing written), best of three;
- full run: ``evaluate()`` raising every order, line and alert, committed;
- idempotent re-run: ``evaluate()`` again, which must raise nothing.

Target: the full run under 2 s and within 2x of the floor.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, func, insert, select, text

from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.models import (
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.replenishment import reorder


def _defaults(table: Table, given: Iterable[str]) -> dict[str, Any]:
    """Python-side column defaults for the columns not given (evaluated once)."""
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.name in given or (col.primary_key and col.autoincrement is not False and col.name == "id"):
            continue
        default = col.default
        if default is None:
            continue
        arg = default.arg  # type: ignore[attr-defined]
        out[col.name] = arg(None) if callable(arg) else arg
    return out


def _pg_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def bulk_load(db: Database, table: Table, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY (PostgreSQL) or executemany (SQLite) of plain tuples; missing columns get their defaults."""
    extra = _defaults(table, columns)
    cols = columns + list(extra)
    tail = tuple(extra.values())
    n = 0
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.is_postgresql:
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                buf = io.StringIO()
                for row in rows:
                    buf.write("\t".join(_pg_value(v) for v in row + tail))
                    buf.write("\n")
                    n += 1
                    if n % 100_000 == 0:
                        copy.write(buf.getvalue())
                        buf = io.StringIO()
                copy.write(buf.getvalue())
        else:
            sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
            batch: list[tuple[Any, ...]] = []

            def conv(v: Any) -> Any:
                if isinstance(v, Decimal):
                    return str(v)
                if hasattr(v, "isoformat"):
                    return v.replace(tzinfo=None).isoformat(sep=" ")
                if hasattr(v, "value"):
                    return v.value
                return v

            for row in rows:
                batch.append(tuple(conv(v) for v in row + tail))
                n += 1
                if len(batch) >= 50_000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    return n


def build(db: Database, skus: int, locations: int, vendors: int, below: float, seed: int) -> None:
    """Master data, one primary agreement and one stock level per SKU x location."""
    rng = random.Random(seed)
    now = utcnow()
    with db.transaction() as s:
        s.execute(insert(Location), [{"code": f"L{i:03d}", "name": f"Location {i}"} for i in range(locations)])
        s.execute(insert(Vendor), [{"code": f"V{i:02d}", "name": f"Vendor {i}"} for i in range(vendors)])
        loc_ids = list(s.scalars(select(Location.id).order_by(Location.id)))
        ven_ids = list(s.scalars(select(Vendor.id).order_by(Vendor.id)))
    started = time.perf_counter()
    bulk_load(
        db,
        Sku.__table__,
        ["id", "part_number", "description", "updated_at"],  # type: ignore[arg-type]
        ((i + 1, f"P-{i + 1:06d}", "bench part", now) for i in range(skus)),
    )
    modes = (
        [ReplenishmentMode.AUTO_PO] * 4 + [ReplenishmentMode.PROPOSAL] * 4 + [ReplenishmentMode.SUPPLIER_MANAGED] * 2
    )
    levels: list[tuple[Any, ...]] = []

    def agreements() -> Iterable[tuple[Any, ...]]:
        aid = 0
        for sku in range(1, skus + 1):
            vendor = ven_ids[sku % len(ven_ids)]
            for loc in loc_ids:
                aid += 1
                mn = rng.randint(2, 20)
                mx = mn + rng.randint(5, 40)
                on_hand = rng.randint(0, mn) if rng.random() < below else rng.randint(mn + 1, mx + 10)
                levels.append((sku, loc, Decimal(on_hand), now))
                yield (
                    aid,
                    vendor,
                    sku,
                    loc,
                    f"S-{sku}",
                    Decimal(mn),
                    Decimal(mx),
                    modes[aid % len(modes)],
                    Decimal(rng.choice((1, 1, 5, 6, 10))),
                    Decimal(rng.choice((0, 0, 10))),
                    Decimal("2.5"),
                    True,
                    True,
                    now,
                )

    n = bulk_load(
        db,
        SupplyAgreement.__table__,  # type: ignore[arg-type]
        [
            "id",
            "vendor_id",
            "sku_id",
            "location_id",
            "supplier_sku",
            "min_qty",
            "max_qty",
            "mode",
            "pack_size",
            "moq",
            "unit_price",
            "is_primary",
            "active",
            "updated_at",
        ],
        agreements(),
    )
    bulk_load(
        db,
        StockLevel.__table__,
        ["sku_id", "location_id", "on_hand", "updated_at"],  # type: ignore[arg-type]
        iter(levels),
    )
    with db.engine.begin() as conn:
        if db.is_postgresql:
            for t in ("skus", "supply_agreements"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    print(
        f"built {skus:,} SKUs x {locations} locations: {n:,} agreements and {len(levels):,} stock levels "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def measure(db: Database) -> dict[str, float]:
    """Floor, dry run, full run and idempotent re-run, printed and returned in seconds."""
    compiled = reorder.below_min_statement().compile(db.engine, compile_kwargs={"literal_binds": True})
    sql = str(compiled)

    def floor(tuned: bool = True) -> int:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            if db.is_postgresql:
                # The same per-transaction settings evaluate() uses (reorder.tune_full_scan), or the defaults.
                cur.execute("SET work_mem = '64MB'" if tuned else "RESET work_mem")
                cur.execute("SET jit = off" if tuned else "RESET jit")
            cur.execute(sql)
            n = len(cur.fetchall())
            raw.rollback()
            return n
        finally:
            raw.close()

    def dry() -> int:
        with db.transaction() as s:
            return len(reorder.evaluate(s, dry_run=True).needs)

    t_default = best_of(3, lambda: floor(tuned=False))[0] if db.is_postgresql else None
    t_floor, rows = best_of(3, floor)
    t_dry, needs = best_of(3, dry)
    t0 = time.perf_counter()
    with db.transaction() as s:
        result = reorder.evaluate(s)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.transaction() as s:
        again = reorder.evaluate(s)
    t_again = time.perf_counter() - t0
    with db.sessions() as s:
        pos = s.scalar(select(func.count()).select_from(PurchaseOrder))
        lines = s.scalar(select(func.count()).select_from(PurchaseOrderLine))
        pairs = s.scalar(select(func.count()).select_from(StockLevel))
    print(f"database: {db.engine.dialect.name}, {pairs:,} stock levels")
    if t_default is not None:
        print(f"floor, server defaults:         {t_default:7.3f} s  (work_mem 4MB, jit on)")
    print(f"floor (bare below-min query):   {t_floor:7.3f} s  ({rows:,} rows)")
    print(f"dry run (query + quantities):   {t_dry:7.3f} s  ({needs:,} needs)")
    print(
        f"full run (raises everything):   {t_full:7.3f} s  ({len(result.orders):,} orders, {result.lines:,} lines, "
        f"{result.alerts_raised:,} alerts; {pos:,} orders / {lines:,} lines in the database)"
    )
    print(f"re-run (idempotent):            {t_again:7.3f} s  ({len(again.orders)} orders raised)")
    print(
        f"full / floor = {t_full / t_floor:.2f}x; target < 2 s and <= 2x floor: "
        f"{'met' if t_full < 2 and t_full <= 2 * t_floor else 'NOT met'}"
    )
    assert not again.orders and not again.alerts_raised, "second run raised something"
    return {"floor": t_floor, "dry": t_dry, "full": t_full, "again": t_again}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a throwaway PostgreSQL cluster (needs initdb/pg_ctl)")
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--vendors", type=int, default=10)
    parser.add_argument("--below", type=float, default=0.01, help="share of pairs at or below min (default 0.01)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="bench an already filled database as it is")
    args = parser.parse_args(argv)
    cluster = None
    url = args.database_url
    if url is None:
        from tests.pg import start_cluster

        cluster = start_cluster()
        admin = create_database(cluster.url("postgres"))
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE vmi_bench"))
        admin.dispose()
        url = cluster.url("vmi_bench")
    try:
        db = create_database(url)
        upgrade_database(db)
        if not args.reuse:
            with db.sessions() as s:
                if s.scalar(select(func.count()).select_from(SupplyAgreement)):
                    print("the database is not empty; use --reuse to bench it as it is", file=sys.stderr)
                    return 2
            build(db, args.skus, args.locations, args.vendors, args.below, args.seed)
        measure(db)
        db.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
