"""Benchmark the full reorder evaluation on a large database against an independent floor.

    python bench/reorder.py                                   # throwaway PostgreSQL cluster, fsync on
    python bench/reorder.py --database-url sqlite:///big.sqlite3
    python bench/reorder.py --database-url postgresql://... --reuse

It builds (unless ``--reuse``) 50,000 SKUs x 20 locations: 1,000,000 stock levels and as many primary
supply agreements (carrying the ledger's copy of their pair's on hand, as postings leave them), about
``--below`` of them at or below min, and open purchase-order lines on
``--open`` of the pairs (some covering the need, some not), so the on-order part of the position is
exercised. Then, each ``--runs`` times (min / median / max):

- floor: a hand-written bare query, not the app's SQL, returning the same pairs (agreement, on hand,
  on order, thresholds) through the DBAPI cursor: what the database itself needs;
- dry run: ``evaluate(dry_run=True)`` (query + quantities, nothing written);
- full run: ``evaluate()`` raising every order, line and alert, then rolled back so the next run
  raises the same (the writes are all done and flushed; only the commit is left out);
- one committed full run, and the idempotent re-run, which must raise nothing.

Each line gives wall time and this process's CPU time (SQLite's work included; for PostgreSQL the
client's share). The app's needs must be exactly the floor's pairs with something to order.

PostgreSQL runs with fsync on (a durable commit). Target (issue 16): the full run at most 1.5x the
floor on both engines.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
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
    POLineStatus,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.models.base import ExactDecimal
from vmi_desktop.replenishment import reorder

#: The floor: written by hand from the schema, independent of the app's query builder.
FLOOR_SQL = """
SELECT a.id, a.vendor_id, a.sku_id, a.location_id, a.min_qty, a.max_qty, a.pack_size, a.moq,
       COALESCE(l.on_hand, 0) AS on_hand, COALESCE(oo.on_order, 0) AS on_order
FROM supply_agreements a
JOIN skus s ON s.id = a.sku_id
JOIN locations loc ON loc.id = a.location_id
LEFT JOIN stock_levels l ON l.sku_id = a.sku_id AND l.location_id = a.location_id
LEFT JOIN (
    SELECT pl.sku_id, po.location_id,
           SUM(CASE WHEN COALESCE(pl.quantity_acknowledged, pl.quantity_ordered) > pl.quantity_received
                    THEN COALESCE(pl.quantity_acknowledged, pl.quantity_ordered) - pl.quantity_received
                    ELSE 0 END) AS on_order
    FROM purchase_order_lines pl
    JOIN purchase_orders po ON po.id = pl.purchase_order_id
    WHERE po.status IN ('draft', 'awaiting_approval', 'sent', 'acknowledged', 'partly_shipped', 'shipped',
                        'partly_received')
      AND pl.status = 'open'
    GROUP BY pl.sku_id, po.location_id
) oo ON oo.sku_id = a.sku_id AND oo.location_id = a.location_id
WHERE a.is_primary AND a.active AND s.active AND loc.active
  AND COALESCE(l.on_hand, 0) + COALESCE(oo.on_order, 0) <= a.min_qty
"""


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


def _sqlite_converters(table: Table, columns: list[str]) -> list[Callable[[Any], Any]]:
    """Per column: how a value is stored on SQLite (exact decimals as integer units, UTC text, enum values)."""

    def plain(v: Any) -> Any:
        if hasattr(v, "isoformat"):
            return v.replace(tzinfo=None).isoformat(sep=" ")
        if hasattr(v, "value"):
            return v.value
        return v

    out: list[Callable[[Any], Any]] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, ExactDecimal):
            out.append(_units_of(column_type.scale))
        else:
            out.append(plain)
    return out


def _units_of(scale: int) -> Callable[[Any], int | None]:
    def convert(value: Any) -> int | None:
        return None if value is None else int(Decimal(value).scaleb(scale))

    return convert


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
            with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
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
            conv = _sqlite_converters(table, cols)
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(f(v) for f, v in zip(conv, row + tail, strict=True)))
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


def build(db: Database, skus: int, locations: int, vendors: int, below: float, open_share: float, seed: int) -> None:
    """Master data, one primary agreement and one stock level per pair, and open order lines."""
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
        Sku.__table__,  # type: ignore[arg-type]
        ["id", "part_number", "description", "updated_at"],
        ((i + 1, f"P-{i + 1:06d}", "bench part", now) for i in range(skus)),
    )
    modes = (
        [ReplenishmentMode.AUTO_PO] * 4 + [ReplenishmentMode.PROPOSAL] * 4 + [ReplenishmentMode.SUPPLIER_MANAGED] * 2
    )
    levels: list[tuple[Any, ...]] = []
    open_lines: dict[tuple[int, int], list[tuple[int, Decimal]]] = {}  # (vendor, location) -> [(sku, qty)]

    def agreements() -> Iterable[tuple[Any, ...]]:
        aid = 0
        for sku in range(1, skus + 1):
            vendor = ven_ids[sku % len(ven_ids)]
            for loc in loc_ids:
                aid += 1
                mn = rng.randint(2, 20)
                mx = mn + rng.randint(5, 40)
                low = rng.random() < below
                on_hand = rng.randint(0, mn) if low else rng.randint(mn + 1, mx + 10)
                levels.append((sku, loc, Decimal(on_hand), now))
                if rng.random() < open_share:
                    # half of them lift a low pair above min (ordered already), half leave it low
                    qty = rng.randint(1, mx) if rng.random() < 0.5 else 1
                    open_lines.setdefault((vendor, loc), []).append((sku, Decimal(qty)))
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
                    Decimal(on_hand),  # the ledger's copy of the pair's on hand (replenishment.pair_figures)
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
            "pair_on_hand",
        ],
        agreements(),
    )
    bulk_load(
        db,
        StockLevel.__table__,  # type: ignore[arg-type]
        ["sku_id", "location_id", "on_hand", "updated_at"],
        iter(levels),
    )
    statuses = [POStatus.SENT, POStatus.ACKNOWLEDGED, POStatus.AWAITING_APPROVAL, POStatus.PARTLY_SHIPPED]
    orders = []
    lines = []
    line_id = 0
    for po_id, ((vendor, loc), items) in enumerate(sorted(open_lines.items()), start=1):
        orders.append(
            (po_id, f"BENCH-{po_id:06d}", vendor, loc, statuses[po_id % len(statuses)], POOrigin.MANUAL, now, now, 1)
        )
        for no, (sku, qty) in enumerate(items, start=1):
            line_id += 1
            lines.append((line_id, po_id, no, sku, qty, Decimal(0), Decimal(0), Decimal("2.5"), POLineStatus.OPEN))
    bulk_load(
        db,
        PurchaseOrder.__table__,  # type: ignore[arg-type]
        ["id", "po_number", "vendor_id", "location_id", "status", "origin", "created_at", "updated_at", "version"],
        iter(orders),
    )
    bulk_load(
        db,
        PurchaseOrderLine.__table__,  # type: ignore[arg-type]
        [
            "id",
            "purchase_order_id",
            "line_no",
            "sku_id",
            "quantity_ordered",
            "quantity_shipped",
            "quantity_received",
            "unit_price",
            "status",
        ],
        iter(lines),
    )
    with db.engine.begin() as conn:
        if db.is_postgresql:
            for t in ("skus", "supply_agreements", "purchase_orders", "purchase_order_lines"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
        conn.execute(text("ANALYZE"))
    print(
        f"built {skus:,} SKUs x {locations} locations: {n:,} agreements, {len(levels):,} stock levels, "
        f"{len(orders):,} open orders with {len(lines):,} lines in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


#: CPU seconds (user + sys) of this process per timed call, by label (SQLite works in this process;
#: for PostgreSQL it is the client's share only).
CPU: dict[str, list[float]] = {}


def timed(runs: int, fn: Callable[[], Any], label: str = "") -> tuple[list[float], Any]:
    """Wall-clock seconds of ``runs`` calls, and the last result (their CPU seconds go to ``CPU[label]``)."""
    times: list[float] = []
    cpu = CPU.setdefault(label, [])
    result = None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, result


def spread(times: list[float], label: str = "") -> str:
    text = f"min {min(times):6.3f}  median {statistics.median(times):6.3f}  max {max(times):6.3f} s"
    cpu = CPU.get(label)
    if cpu:
        text += f" (cpu {min(cpu):.3f} / {statistics.median(cpu):.3f} / {max(cpu):.3f})"
    return text


def measure(db: Database, runs: int) -> dict[str, list[float]]:
    """Floor, dry run, full run (rolled back), committed run and idempotent re-run, printed."""

    def floor() -> list[Any]:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            if db.is_postgresql:  # the same per-transaction settings evaluate() uses
                cur.execute("SET work_mem = '64MB'")
                cur.execute("SET jit = off")
            cur.execute(FLOOR_SQL)
            rows = list(cur.fetchall())
            raw.rollback()
            return rows
        finally:
            raw.close()

    def dry() -> list[reorder.ReorderNeed]:
        with db.transaction() as s:
            return reorder.evaluate(s, dry_run=True).needs

    def full_rolled_back() -> reorder.ReorderResult:
        with db.sessions() as s:
            s.begin()
            result = reorder.evaluate(s)
            s.flush()
            s.rollback()
        return result

    with db.sessions() as s:
        pairs = s.scalar(select(func.count()).select_from(StockLevel))
        open_lines = s.scalar(
            select(func.count()).select_from(PurchaseOrderLine).where(PurchaseOrderLine.status == POLineStatus.OPEN)
        )
    load_before = os.getloadavg()
    t_floor, floor_found = timed(runs, floor, "floor")
    t_dry, dry_needs = timed(runs, dry, "dry")
    t_full, result = timed(runs, full_rolled_back, "full")
    t0 = time.perf_counter()
    with db.transaction() as s:
        committed = reorder.evaluate(s)
    t_commit = [time.perf_counter() - t0]
    t_again, again = timed(runs, lambda: _committed_run(db), "again")
    load_after = os.getloadavg()
    floor_rows, needs = len(floor_found), len(dry_needs)
    # the floor's pairs that need something (max above the position; the bench has no snoozes), in the
    # stored units of either engine: the pairs the app must find, no more, no fewer
    wanted = {r[0] for r in floor_found if r[5] > r[8] + r[9]}
    print(f"database: {db.engine.dialect.name}, {pairs:,} stock levels, {open_lines:,} open order lines")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min); {os.cpu_count()} cores")
    print(f"floor (bare hand-written query):  {spread(t_floor, 'floor')}  ({floor_rows:,} rows)")
    print(f"dry run (query + quantities):     {spread(t_dry, 'dry')}  ({needs:,} needs)")
    print(
        f"full run (all writes, rolled back): {spread(t_full, 'full')}  ({len(result.orders):,} orders, "
        f"{result.lines:,} lines, {result.alerts_raised:,} alerts)"
    )
    print(f"full run, committed once:         {t_commit[0]:6.3f} s  ({len(committed.orders):,} orders)")
    print(f"re-run (idempotent, committed):   {spread(t_again, 'again')}  ({len(again.orders)} orders raised)")
    ratio = statistics.median(t_full) / statistics.median(t_floor)
    print(f"full / floor (medians) = {ratio:.2f}x; target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}")
    if CPU["floor"] and CPU["full"]:
        cpu_ratio = statistics.median(CPU["full"]) / statistics.median(CPU["floor"])
        print(f"full / floor (CPU medians of this process) = {cpu_ratio:.2f}x")
    assert floor_rows >= needs, "the floor returns fewer pairs than the app finds"
    assert {n.agreement_id for n in dry_needs} == wanted, "the app's needs are not the floor's pairs"
    assert {n.agreement_id for n in result.needs} == wanted, "the full run's needs are not the floor's pairs"
    assert not again.orders and not again.alerts_raised, "a second run raised something"
    return {"floor": t_floor, "dry": t_dry, "full": t_full, "commit": t_commit, "again": t_again}


def _committed_run(db: Database) -> reorder.ReorderResult:
    with db.transaction() as s:
        return reorder.evaluate(s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a throwaway PostgreSQL cluster with fsync on")
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--vendors", type=int, default=10)
    parser.add_argument("--below", type=float, default=0.01, help="share of pairs at or below min (default 0.01)")
    parser.add_argument("--open", type=float, default=0.02, help="share of pairs with an open order line")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="bench a copy of an already filled database (the committed run would otherwise spoil it)",
    )
    parser.add_argument("--build-only", action="store_true", help="fill the database and stop (bench it with --reuse)")
    args = parser.parse_args(argv)
    cluster = None
    url = args.database_url
    if url is None:
        from tests.pg import start_cluster

        cluster = start_cluster(durable=True)
        admin = create_database(cluster.url("postgres"))
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE vmi_bench"))
        admin.dispose()
        url = cluster.url("vmi_bench")
    copy: Path | None = None
    try:
        db = create_database(url)
        upgrade_database(db)
        if not args.reuse:
            with db.sessions() as s:
                if s.scalar(select(func.count()).select_from(SupplyAgreement)):
                    print("the database is not empty; use --reuse to bench a copy of it", file=sys.stderr)
                    return 2
            build(db, args.skus, args.locations, args.vendors, args.below, args.open, args.seed)
            if args.build_only:
                db.dispose()
                return 0
            if db.sqlite_path is not None:  # keep the built file pristine for later --reuse runs
                db, copy = _sqlite_copy(db)
        elif db.sqlite_path is not None:
            db, copy = _sqlite_copy(db)
        elif db.is_postgresql:
            db = _pg_copy(db)
        measure(db, args.runs)
        db.dispose()
    finally:
        if copy is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        if cluster is not None:
            cluster.stop()
    return 0


def _sqlite_copy(db: Database) -> tuple[Database, Path]:
    """A scratch copy of a SQLite bench database (SQLite's backup API, consistent under WAL)."""
    import sqlite3

    source = db.sqlite_path
    assert source is not None
    target = source.with_name(source.stem + ".bench-copy" + source.suffix)
    db.dispose()
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return create_database(f"sqlite:///{target}"), target


def _pg_copy(db: Database) -> Database:
    """A scratch copy of a PostgreSQL bench database (CREATE DATABASE ... TEMPLATE)."""
    from sqlalchemy.engine import make_url

    url = make_url(db.url)
    name = f"{url.database}_bench_copy"
    db.dispose()
    admin = create_database(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    admin.dispose()
    return create_database(url.set(database=name).render_as_string(hide_password=False))


if __name__ == "__main__":
    raise SystemExit(main())
