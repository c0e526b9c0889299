"""Export and live-refresh benchmark: what the table pages do off (and on) the UI thread, on a real file.

    python bench/export.py --database-url sqlite:///bench/out/ui-1m.sqlite3   # or any demo database

Measures (no Qt needed for the first two; they are what the export task runs on its worker thread):

- the whole stock table (every row the filters match, keyset pages of 1,000) to CSV and to XLSX;
- the whole ledger (``MovementsQuery``, every movement) to CSV;
- re-reading 200 loaded stock rows after a commit (``TableQuery.rows_by_key``, what a page does when
  ``ctx.commits`` reports their pairs): repeated, min/median/max.

The database is only read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from vmi_desktop.db import create_database
    from vmi_desktop.exporting import export_value, write_table
    from vmi_desktop.queries import StockQuery
    from vmi_desktop.queries.base import PageRequest, TableQuery
    from vmi_desktop.queries.stock_forms import MovementsQuery
    from vmi_desktop.scope import SYSTEM

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-ledger", action="store_true", help="skip the whole-ledger export")
    args = parser.parse_args(argv)
    db = create_database(args.database_url)

    def export(query: TableQuery, path: Path, request: PageRequest) -> tuple[int, float]:
        started = time.perf_counter()
        with db.sessions() as session:
            rows = (
                [export_value(c, row.values[c.key]) for c in query.columns]
                for row in query.iter_rows(session, SYSTEM, request)
            )
            count = write_table(path, [c.title for c in query.columns], rows, title=path.stem)
        return count, time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stock = StockQuery()
        request = PageRequest(sort_key="part_number")
        for suffix in (".csv", ".xlsx"):
            count, seconds = export(stock, folder / f"stock{suffix}", request)
            size = (folder / f"stock{suffix}").stat().st_size / 1e6
            print(
                f"stock table to {suffix[1:]:4}: {count:>9,} rows in {seconds:6.1f} s "
                f"({count / seconds:>8,.0f} rows/s, {size:.1f} MB)"
            )
        if not args.no_ledger:
            count, seconds = export(MovementsQuery(), folder / "ledger.csv", PageRequest(sort_key="id"))
            print(f"ledger to csv    : {count:>9,} rows in {seconds:6.1f} s ({count / seconds:>8,.0f} rows/s)")

    with db.sessions() as session:
        first = stock.page(session, SYSTEM, request, 0, 200)
    keys = [row.key for row in first]
    times: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        with db.sessions() as session:
            fresh = stock.rows_by_key(session, SYSTEM, keys)
        times.append((time.perf_counter() - started) * 1000)
        assert len(fresh) == len(keys)
    print(
        f"re-read {len(keys)} stock rows after a commit: min {min(times):.1f} / median "
        f"{statistics.median(times):.1f} / max {max(times):.1f} ms over {args.repeat} runs"
    )
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
