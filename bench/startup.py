"""Time from process spawn to a usable window, on a large database (the figure a user waits for).

    python bench/startup.py --database-url sqlite:///bench/out/vmi-1m.sqlite3 [--runs 3]
    python bench/startup.py --database-url ... --app dist/vmi-desktop/vmi-desktop   # the shipped bundle

Each run spawns ``python -m vmi_desktop``, or with ``--app`` the program a user starts (the bundle's
``vmi-desktop``: its modules come out of PyInstaller's archive, not the venv's bytecode caches), offscreen
Qt unless ``--xcb`` (run it under xvfb-run for a real X window), and the app writes the wall-clock time
of the first paint of its start page's table with its rows, and its CPU time by then
(``VMI_READY_FILE``, see ``vmi_desktop.ui.readiness`` and ``vmi_desktop.ui.startup``); a run whose
start page painted no rows fails. "Settled" is when the steps deferred until after that paint have run
too (the Sync page; the main thread is free again).
The app then quits. The floor is a bare process that imports nothing of the app: ``python -c pass``
plus opening the database and counting the stock table (what any program reading this database must
pay). A second floor is the libraries alone (``LIBRARIES``): what any app built on this stack pays
before its first line runs. Prints min / median / max, the floors and the load average.

Python is run as it ships: with its bytecode caches. ``PYTHONDONTWRITEBYTECODE`` (set in some shells)
would make every run compile the whole app and its libraries again (about a second), so the caches
are written first (``compileall``) and the variable is not passed on.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Start:
    """One start: seconds from spawn to the painted start page and to settled, CPU seconds by then."""

    ready: float
    cpu: float
    settled: float
    settled_cpu: float
    page: str
    rows: int
    automatic_collections: int
    modules: int


def spawn_to_ready(url: str, user: str | None, xcb: bool, app: Path | None = None) -> Start:
    """One start of the app, timed from spawning it."""
    with tempfile.TemporaryDirectory() as folder:
        ready = Path(folder) / "ready.json"
        env = dict(os.environ, VMI_READY_FILE=str(ready), VMI_QUIT_WHEN_READY="1", VMI_DATA_DIR=folder)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # a user who has started the app before (the keyring notice was shown once), with the window at
        # its default size (1280 x 800) and default columns: no layout an earlier run saved changes the paint
        env["XDG_CONFIG_HOME"] = str(Path(folder) / "config")
        ini = Path(folder) / "config" / "VMI Desktop" / "vmi-desktop.ini"
        ini.parent.mkdir(parents=True)
        ini.write_text("[notices]\nkeyring_missing_shown=true\n")
        if not xcb:
            env["QT_QPA_PLATFORM"] = "offscreen"
        if user:
            env["VMI_USER"] = user
        command = [str(app)] if app is not None else [sys.executable, "-m", "vmi_desktop"]
        started = time.time()
        subprocess.run([*command, "--database-url", url], env=env, check=True, timeout=120, cwd=ROOT)
        report = json.loads(ready.read_text())
    start = Start(
        ready=float(report["ready_at"]) - started,
        cpu=float(report["cpu_s"]),
        settled=float(report["settled_at"]) - started,
        settled_cpu=float(report["settled_cpu_s"]),
        page=str(report["page"]),
        rows=int(report["rows"] or 0),
        automatic_collections=int(report.get("gc_collections", 0)) - int(report.get("gc_ui_collections", 0)),
        modules=len(report.get("modules", ())),
    )
    if start.rows <= 0:
        raise SystemExit(f"the start page ({start.page}) painted no rows: not a usable window")
    return start


def compile_caches() -> None:
    """Write the bytecode caches of the app and its libraries, as an installed app or the bundle has them."""
    import compileall
    import sysconfig

    for folder in (ROOT / "vmi_desktop", Path(sysconfig.get_paths()["purelib"])):
        compileall.compile_dir(folder, quiet=2, workers=0)


def spread(label: str, values: list[float]) -> str:
    return f"{label}: min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f} s"


def floor(url: str) -> float:
    """A bare interpreter that opens the database file and counts the stock rows."""
    code = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM stock_levels')"
    path = url.removeprefix("sqlite:///")
    started = time.time()
    subprocess.run([sys.executable, "-c", code, path], check=True, timeout=60)
    return time.time() - started


#: What the libraries alone cost: an interpreter that imports what the first paint cannot do without
#: (SQLAlchemy with its ORM and SQLite dialect, PySide6's widgets), makes the QApplication and paints a
#: window with a 60-row table of Qt's own model; no line of the app. It prints when its loop ran.
LIBRARIES = """
import sys, time
import sqlalchemy, sqlalchemy.orm, sqlalchemy.dialects.sqlite
from PySide6.QtCore import QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
model = QStandardItemModel(60, 12)
for row in range(60):
    for column in range(12):
        model.setItem(row, column, QStandardItem(f"{row}.{column}"))
window = QMainWindow()
view = QTableView()
view.setModel(model)
window.setCentralWidget(view)
window.resize(1280, 800)
window.show()
QTimer.singleShot(0, app.quit)
app.exec()
print(time.time())
"""


#: The same window and table without SQLAlchemy: what a first paint would cost whose rows were read by the
#: standard library's sqlite3 with everything else imported after it (a "progressive" start; not what the
#: app does: the figure for deciding whether one would be worth a second read path for the start page).
WITHOUT_ORM = LIBRARIES.replace("import sqlalchemy, sqlalchemy.orm, sqlalchemy.dialects.sqlite", "import sqlite3")


def libraries_floor(xcb: bool, code: str = LIBRARIES) -> float:
    """Spawn to a painted Qt window with the libraries the app's first paint needs imported."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not xcb:
        env["QT_QPA_PLATFORM"] = "offscreen"
    started = time.time()
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1]) - started


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
    parser.add_argument("--app", type=Path, help="time this program (the bundle's vmi-desktop) instead of the venv")
    args = parser.parse_args(argv)
    ensure_manager(args.database_url, args.user)
    if args.app is None:
        compile_caches()
    spawn_to_ready(args.database_url, args.user, args.xcb, args.app)  # warm the OS file cache once
    load = os.getloadavg()[0]
    starts = [spawn_to_ready(args.database_url, args.user, args.xcb, args.app) for _ in range(args.runs)]
    floors = [floor(args.database_url) for _ in range(args.runs)] if args.database_url.startswith("sqlite") else []
    libraries = [libraries_floor(args.xcb) for _ in range(args.runs)]
    without_orm = [libraries_floor(args.xcb, WITHOUT_ORM) for _ in range(args.runs)]
    print(f"{args.app or 'python -m vmi_desktop'}: start page {starts[0].page}, {starts[0].rows} rows painted")
    for start in starts:
        print(
            f"  run: painted {start.ready:.3f} s (CPU {start.cpu:.3f} s), "
            f"settled {start.settled:.3f} s (CPU {start.settled_cpu:.3f} s); before the paint: "
            f"{start.modules} modules, {start.automatic_collections} automatic garbage collections"
        )
    print(spread("window usable from process spawn", [s.ready for s in starts]) + f"  ({args.runs} runs)")
    print(spread("  its CPU time (user + sys)", [s.cpu for s in starts]))
    print(spread("settled (deferred start-up steps done)", [s.settled for s in starts]))
    if floors:
        print(f"floor (bare python + count of stock_levels): median {statistics.median(floors):.3f} s")
    print(spread("libraries floor (SQLAlchemy ORM + PySide6, a 60-row Qt table painted)", libraries))
    print(spread("  the same without SQLAlchemy (PySide6 + sqlite3: a progressive start's floor)", without_orm))
    own = statistics.median(s.ready for s in starts) - statistics.median(libraries)
    print(f"  the app's own share of the median: {own:.3f} s")
    print(f"load average {load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; goal: under 1 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
