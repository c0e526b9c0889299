"""What one ledger posting costs on a 1,000,000-pair database (the worklist's indexes included).

    python bench/posting.py --database-url sqlite:///bench/out/vmi-1m.sqlite3 [--postings 400]

Posts consumptions and receipts of one unit through ``ledger`` (the stock level, the movement, the
audit entry and the pair figures copied onto the agreements, whose indexes the worklist reads), each
in its own transaction that is rolled back: the database is left as it was. Reports the median and
the 90th percentile per posting (wall and CPU), and apart the agreements' update alone
(``pair_figures.record_posting``), which is what an index over the agreements adds to.

Pairs are drawn at random, half of them worklist candidates (what a new partial index over the
candidates is written for), half not.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pairs(db: Any, count: int, seed: int) -> list[tuple[int, int]]:
    """``count`` primary pairs with stock, half of them worklist candidates, in random order."""
    from sqlalchemy import select

    from vmi_desktop.models import StockLevel, SupplyAgreement
    from vmi_desktop.replenishment.pair_figures import reach

    a = SupplyAgreement
    rng = random.Random(seed)
    found: list[tuple[int, int]] = []
    with db.sessions() as s:
        top = int(s.scalar(select(a.id).order_by(a.id.desc()).limit(1)) or 0)
        for candidate in (True, False):
            wanted = count // 2
            picked: list[tuple[int, int]] = []
            while len(picked) < wanted:
                ids = [rng.randint(1, top) for _ in range(4 * wanted)]
                test = reach(a) <= 0 if candidate else reach(a) > 0
                rows = s.execute(
                    select(a.sku_id, a.location_id)
                    .join(StockLevel, (StockLevel.sku_id == a.sku_id) & (StockLevel.location_id == a.location_id))
                    .where(a.id.in_(ids), a.is_primary, a.active, test, StockLevel.on_hand >= 5)
                ).all()
                picked += [(r[0], r[1]) for r in rows][: wanted - len(picked)]
            found += picked
    rng.shuffle(found)
    return found


def run(url: str, postings: int, seed: int) -> str:
    from vmi_desktop import ledger
    from vmi_desktop.db import create_database
    from vmi_desktop.replenishment import pair_figures
    from vmi_desktop.scope import SYSTEM

    db = create_database(url)
    pairs = _pairs(db, postings, seed)
    spent: dict[str, list[float]] = {"wall": [], "cpu": [], "figures": []}
    original = pair_figures.record_posting

    def timed_figures(*args: Any, **kwargs: Any) -> None:
        t = time.perf_counter()
        original(*args, **kwargs)
        spent["figures"].append((time.perf_counter() - t) * 1000)

    pair_figures.record_posting = timed_figures
    posts: list[Callable[..., Any]] = [ledger.post_consumption, ledger.post_receipt]
    for i, (sku_id, location_id) in enumerate(pairs):
        post = posts[i % 2]
        with db.sessions() as s:
            t, c = time.perf_counter(), time.process_time()
            post(s, SYSTEM, sku_id, location_id, Decimal(1))
            s.flush()
            spent["wall"].append((time.perf_counter() - t) * 1000)
            spent["cpu"].append((time.process_time() - c) * 1000)
            s.rollback()
    pair_figures.record_posting = original
    db.dispose()

    def line(name: str, values: list[float]) -> str:
        ordered = sorted(values)
        p90 = ordered[int(len(ordered) * 0.9)]
        return f"{name:44} median {statistics.median(values):7.3f} ms   p90 {p90:7.3f} ms"

    return "\n".join(
        [
            f"{len(pairs)} postings (consumption and receipt alternately, each rolled back)",
            line("posting (wall)", spent["wall"]),
            line("posting (CPU)", spent["cpu"]),
            line("of which the agreements' pair figures (wall)", spent["figures"]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--postings", type=int, default=400)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    print(run(args.database_url, args.postings, args.seed), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
