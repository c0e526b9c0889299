"""Cold start of the bundle: from process spawn to the main window shown, on the demo database.

    python bench/bundle_start.py [--app dist/vmi-desktop/vmi-desktop] [--runs 3] [--drop-caches]
    xvfb-run -a -s "-screen 0 1280x800x24" python bench/bundle_start.py   # a real X display

Each run starts the app under ``env -i`` (a fresh home, no Python on PATH) with
``VMI_SMOKE_QUIT_MS=0``: the app prints ``vmi-desktop: main window shown`` after its first
event-loop turn with the window on screen, then quits. The time is taken when that line arrives.
``--drop-caches`` (root) empties the page cache before each run, so the files are read from disk
("cold"); without it the runs after the first find them in memory ("warm"). With DISPLAY set the
window goes to that X server (xcb), else to Qt's offscreen platform.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def uptime() -> str:
    """The machine's load, as ``uptime`` prints it."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def drop_caches() -> None:
    """Write dirty pages and empty the page cache (needs root)."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def clean_env(home: Path) -> dict[str, str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "VMI_SMOKE_QUIT_MS": "0"}
    if os.environ.get("DISPLAY"):
        env["DISPLAY"] = os.environ["DISPLAY"]
        if os.environ.get("XAUTHORITY"):
            env["XAUTHORITY"] = os.environ["XAUTHORITY"]
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def one_start(app: Path, url: str, env: dict[str, str]) -> float:
    """Seconds from spawn to the "main window shown" line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(app), "--database-url", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    shown = None
    for line in proc.stderr:
        if "vmi-desktop: main window shown" in line:
            shown = time.perf_counter() - started
            break
    proc.stderr.read()
    if proc.wait(timeout=120) != 0 or shown is None:
        raise SystemExit(f"{app} did not show its window (exit {proc.returncode})")
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "vmi-desktop" / "vmi-desktop")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drop-caches", action="store_true", help="cold page cache before each run (root)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vmi-start-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = clean_env(home)
        url = f"sqlite:///{tmp}/demo.sqlite3"
        subprocess.run([str(args.app), "--database-url", url, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        print(
            f"app: {args.app}; demo database (500 SKUs x 3 locations, 730 days); "
            f"{'X display ' + env['DISPLAY'] if 'DISPLAY' in env else 'offscreen'}; "
            f"page cache {'dropped before each run' if args.drop_caches else 'warm after the first run'}"
        )
        print(f"load before: {uptime()}")
        times = []
        for i in range(args.runs):
            if args.drop_caches:
                drop_caches()
            times.append(one_start(args.app, url, env))
            print(f"  run {i + 1}: {times[-1] * 1000:.0f} ms")
        print(f"load after:  {uptime()}")
        print(
            f"spawn to main window: min {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {len(times)} runs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
