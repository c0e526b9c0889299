"""Keep SQLite's query planner informed so the paged tables stay index scans on large files.

Without statistics SQLite guesses table sizes and may sort a million stock
rows for a 200-row page instead of walking an index (seconds instead of
milliseconds). ``ANALYZE`` of the tables behind the tables (about a second
per million stock rows) runs when the statistics are missing or the stock
table has grown or shrunk a lot since; otherwise nothing is done. The start
checks the first (cheap) before the first page's queries and the second (a
count of the stock table) after the first paint.
Connections read statistics when they open, so the pool is recycled after.
PostgreSQL's autovacuum keeps its own statistics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Connection

from vmi_desktop.db import Database

log = logging.getLogger(__name__)

#: the tables the paged tables join and sort on
TABLES = (
    "skus",
    "locations",
    "vendors",
    "stock_levels",
    "supply_agreements",
    "purchase_orders",
    "purchase_order_lines",
    "audit_entries",
)
#: re-analyze when the stock table's size is off by this factor from the stored statistics
DRIFT = 2.0
#: below this many stock rows, any plan is fast: no statistics are needed
SMALL = 1000


def _recorded_rows(conn: Connection, table: str) -> int | None:
    exists = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first()
    if exists is None:
        return None
    row = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = ? LIMIT 1", (table,)).first()
    if row is None or not row[0]:
        return None
    return int(str(row[0]).split()[0])


def _unanalyzed_indexes(conn: Connection) -> list[str]:
    """Indexes of the UI's tables that have no statistics (a migration added them after the last ANALYZE:
    the planner may then prefer them blindly, as the worklist's covering indexes were over the stock page)."""
    names = ", ".join(f"'{t}'" for t in TABLES)
    return [
        str(name)
        for (name,) in conn.exec_driver_sql(
            f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) "
            "AND tbl_name IN (SELECT tbl FROM sqlite_stat1) "
            "AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)"
        )
    ]


def _is_small(conn: Connection) -> bool:
    """Fewer than ``SMALL`` stock rows (reads at most that many: no count of a large table)."""
    query = f"SELECT count(*) FROM (SELECT 1 FROM stock_levels LIMIT {SMALL})"
    return int(conn.exec_driver_sql(query).scalar() or 0) < SMALL


def statistics_are_missing(db: Database) -> bool:
    """Whether SQLite has no statistics for a large stock table, or none for an index of the UI's tables.

    Cheap (counts no table): the start runs it before the first page's queries, which need it.
    """
    if not db.is_sqlite:
        return False
    with db.engine.connect() as conn:
        if _is_small(conn):  # small databases are fast whatever the plan
            return False
        return _recorded_rows(conn, "stock_levels") is None or bool(_unanalyzed_indexes(conn))


def statistics_have_drifted(db: Database) -> bool:
    """Whether the stock table's size is off by more than ``DRIFT`` from its statistics.

    Counts the table (about 25 ms per million rows): the start runs it after the first paint, on the
    task runner (``ui.startup``); the planner keeps index plans meanwhile, its statistics being only
    out of date, not missing.
    """
    if not db.is_sqlite:
        return False
    with db.engine.connect() as conn:
        recorded = _recorded_rows(conn, "stock_levels")
        if recorded is None:  # missing, not drifted
            return False
        actual = int(conn.exec_driver_sql("SELECT count(*) FROM stock_levels").scalar() or 0)
    if actual < SMALL:
        return False
    return not (recorded / DRIFT <= actual <= recorded * DRIFT)


def statistics_are_stale(db: Database) -> bool:
    """Whether SQLite lacks usable statistics for the stock table or for an index of the UI's tables."""
    return statistics_are_missing(db) or statistics_have_drifted(db)


def refresh_planner_statistics(
    db: Database, *, force: bool = False, check: Callable[[Database], bool] = statistics_are_stale
) -> bool:
    """ANALYZE the UI's tables on SQLite when ``check`` says so (or ``force``); True when it ran."""
    if not db.is_sqlite or not (force or check(db)):
        return False
    started = time.perf_counter()
    with db.engine.connect() as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"ANALYZE {table}")
        conn.commit()
    db.engine.dispose()  # pooled connections would keep planning without the new statistics
    log.info("planner statistics refreshed in %.0f ms", (time.perf_counter() - started) * 1000)
    return True
