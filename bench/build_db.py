"""Build the scale database: 1,000,000 stock rows (50,000 SKUs x 20 locations) and ~10,000,000 movements.

Usage:
    python bench/build_db.py                                   # SQLite at bench/out/vmi-1m.sqlite3
    python bench/build_db.py --sqlite other.sqlite3 --postgres postgresql://user@127.0.0.1/vmi_bench
    python bench/build_db.py --skus 5000 --movements 1000000   # a smaller run

The SQLite file is replaced if it exists; a PostgreSQL database must be empty (created beforehand).
Prints rows/s per table and the total time of each build.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vmi_desktop.cli.demo import print_summary
from vmi_desktop.db import create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.demo import generate

DEFAULT_SQLITE = Path(__file__).resolve().parent / "out" / "vmi-1m.sqlite3"


def _progress(label: str) -> Callable[[str, float], None]:
    started = time.perf_counter()
    last_stage = [""]
    last_at = [-1.0]

    def show(stage: str, fraction: float) -> None:
        if stage != last_stage[0] or fraction - last_at[0] >= 0.1:
            last_stage[0], last_at[0] = stage, fraction
            print(f"  {label} [{time.perf_counter() - started:7.1f}s] {fraction * 100:5.1f}% {stage}", flush=True)

    return show


def build(url: str, label: str, args: argparse.Namespace) -> float:
    """Migrate and fill one database; returns the seconds it took."""
    started = time.perf_counter()
    db = create_database(url)
    upgrade_database(db)
    stats = generate(
        db,
        skus=args.skus,
        locations=args.locations,
        vendors=args.vendors,
        days=args.days,
        seed=args.seed,
        movements=args.movements,
        progress=_progress(label),
    )
    db.dispose()
    print(f"== {label}: {url}")
    print_summary(stats)
    total = time.perf_counter() - started
    print(f"== {label}: {total:.1f}s in all (including schema creation)\n", flush=True)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=Path, default=DEFAULT_SQLITE, help=f"SQLite file (default {DEFAULT_SQLITE})")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite build")
    parser.add_argument("--postgres", help="also build into this (empty) PostgreSQL database URL")
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--vendors", type=int, default=6)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--movements", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if not args.no_sqlite:
        path: Path = args.sqlite
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            victim = path.with_name(path.name + suffix)
            if victim.exists():
                victim.unlink()
        build(f"sqlite:///{path}", "sqlite", args)
        print(f"file size: {path.stat().st_size / 1e9:.2f} GB")
    if args.postgres:
        build(args.postgres, "postgresql", args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
