"""Time from process spawn to a usable window, on a large database (the figure a user waits for).

    python bench/startup.py --database-url sqlite:///bench/out/vmi-1m.sqlite3 [--runs 3]

Each run spawns ``python -m vmi_desktop`` (offscreen Qt unless ``--xcb``), and the app writes the
wall-clock time at which its main window was shown and painted (``VMI_READY_FILE``, see
``vmi_desktop.ui.readiness``), then quits. The floor is a bare process that imports nothing of the
app: ``python -c pass`` plus opening the database and counting the stock table (what any program
reading this database must pay). Prints min / median / max, the floor and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def spawn_to_ready(url: str, user: str | None, xcb: bool) -> float:
    """Seconds from spawning the app to its window being usable."""
    with tempfile.TemporaryDirectory() as folder:
        ready = Path(folder) / "ready.json"
        env = dict(os.environ, VMI_READY_FILE=str(ready), VMI_QUIT_WHEN_READY="1", VMI_DATA_DIR=folder)
        if not xcb:
            env["QT_QPA_PLATFORM"] = "offscreen"
        if user:
            env["VMI_USER"] = user
        started = time.time()
        subprocess.run(
            [sys.executable, "-m", "vmi_desktop", "--database-url", url], env=env, check=True, timeout=120, cwd=ROOT
        )
        return float(json.loads(ready.read_text())["ready_at"]) - started


def floor(url: str) -> float:
    """A bare interpreter that opens the database file and counts the stock rows."""
    code = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM stock_levels')"
    path = url.removeprefix("sqlite:///")
    started = time.time()
    subprocess.run([sys.executable, "-c", code, path], check=True, timeout=60)
    return time.time() - started


def ensure_manager(url: str, name: str) -> None:
    """Make ``name`` a parts manager of the database if it is not a user yet (generated databases have none)."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from vmi_desktop.db import create_database
    from vmi_desktop.models import Role, User
    from vmi_desktop.scope import SYSTEM
    from vmi_desktop.users import add_user

    db = create_database(url)
    with db.transaction() as s:
        if s.scalar(select(User.id).where(User.username == name)) is None:
            add_user(s, SYSTEM, name, Role.PARTS_MANAGER)
    db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--user", default="bench", help="act as this parts manager (created if missing)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xcb", action="store_true", help="a real X window (run under xvfb-run) instead of offscreen")
    args = parser.parse_args(argv)
    ensure_manager(args.database_url, args.user)
    spawn_to_ready(args.database_url, args.user, args.xcb)  # warm the OS file cache once
    load = os.getloadavg()[0]
    times = [spawn_to_ready(args.database_url, args.user, args.xcb) for _ in range(args.runs)]
    floors = [floor(args.database_url) for _ in range(args.runs)] if args.database_url.startswith("sqlite") else []
    print(
        f"window usable from process spawn: min {min(times):.3f}  median {statistics.median(times):.3f}  "
        f"max {max(times):.3f} s  ({args.runs} runs)"
    )
    if floors:
        print(f"floor (bare python + count of stock_levels): median {statistics.median(floors):.3f} s")
    print(f"load average {load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; goal: under 1 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
