"""Start the real app on a demo database and save a PNG of each main page.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshots.py \
        --database-url sqlite:////tmp/demo.sqlite3 --out docs/screenshots

Without ``--database-url`` a demo database (300 SKUs, 4 locations, ten years)
is generated into a temporary folder first. Works under Xvfb (a real X
server, what CI runs) and with ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["worklist", "dashboard", "stock", "skus", "vendors", "agreements", "orders", "alerts", "audit"]


def make_demo_db(folder: Path, skus: int = 300, days: int = 3650) -> str:
    """A generated demo database (the same generator as ``vmi-desktop demo``)."""
    from vmi_desktop.db import create_database
    from vmi_desktop.db.migrate import upgrade_database
    from vmi_desktop.demo import generate

    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    db = create_database(url)
    upgrade_database(db)
    generate(db, skus=skus, locations=4, vendors=6, days=days, manager="demo")
    db.dispose()
    return url


def wait_until(app: object, condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        if condition():
            return True
        time.sleep(0.02)
    return False


def _save(window: object, path: Path) -> Path:
    """Grab the window; 256-colour PNG at the strongest compression keeps the repository small (~40 kB)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = window.grab().toImage()  # type: ignore[attr-defined]
    flags = Qt.ImageConversionFlag.AvoidDither | Qt.ImageConversionFlag.ThresholdDither
    if not image.convertToFormat(QImage.Format.Format_Indexed8, flags).save(str(path), "PNG", 0):
        raise OSError(f"could not write {path}")
    return path


def take(database_url: str, out: Path, user: str, width: int = 1280, height: int = 800) -> list[Path]:
    """Open the main window as ``user`` and save one PNG per page into ``out``."""
    from PySide6.QtCore import QSettings

    from vmi_desktop.config import Settings
    from vmi_desktop.ui.app import application, open_context
    from vmi_desktop.ui.main_window import MainWindow

    # Default layouts, and the user's own settings left untouched.
    settings_dir = tempfile.mkdtemp(prefix="vmi-screenshots-settings-")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings_dir)
    app = application()
    ctx = open_context(Settings(database_url=database_url, username=user))
    window = MainWindow(ctx)
    window.confirm_unsaved = False
    window.resize(width, height)
    window.show()
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    try:
        keys = window.page_keys()
        dashboard = window.page("dashboard") if "dashboard" in keys else None
        if dashboard is not None:
            window.show_page("dashboard")  # its figures load once it is shown (a manager starts on the worklist)
            wait_until(app, lambda: dashboard.health is not None)
            if dashboard.attention_table.rowCount():
                dashboard.attention_table.selectRow(0)
                wait_until(app, lambda: dashboard.pair is not None)
        if "worklist" in keys:
            worklist = window.page("worklist")
            wait_until(app, lambda: worklist.model.total is not None)
            if worklist.model.rowCount() >= 3:
                worklist.select_rows([0, 1, 2])
        if "orders" in keys:
            orders = window.page("orders")
            if orders.model.rowCount():
                orders.table.selectRow(0)
        if "alerts" in keys:
            alerts = window.page("alerts")
            if alerts.model.rowCount():
                alerts.table.selectRow(0)
        for key in PAGES:
            if key not in keys:
                continue
            window.show_page(key)
            wait_until(app, lambda: False, 0.6)  # let lazy loads and repaints settle
            saved.append(_save(window, out / f"{key}.png"))
            if key == "dashboard" and dashboard is not None and dashboard.pair is not None:
                dashboard.chart_tabs.setCurrentWidget(dashboard.consumption_chart)
                dashboard.consumption_chart.set_weekly(True)
                wait_until(app, lambda: False, 0.4)
                saved.append(_save(window, out / "dashboard-consumption.png"))
                if dashboard.suppliers_table.rowCount():
                    vendor_done: list[object] = []
                    dashboard.vendor_loaded.connect(vendor_done.append)
                    dashboard.suppliers_table.selectRow(0)
                    wait_until(app, vendor_done.__len__)
                    wait_until(app, lambda: False, 0.4)
                    saved.append(_save(window, out / "dashboard-supplier.png"))
        saved += _part_page(app, window, out)
    finally:
        window.close()
        ctx.runner.wait(10000)
        ctx.db.dispose()
    return saved


def _part_page(app: object, window: object, out: Path) -> list[Path]:
    """The part page of the worklist's first row with a history, its stock chart drawn."""
    keys = window.page_keys()  # type: ignore[attr-defined]
    if "worklist" not in keys:
        return []
    worklist = window.page("worklist")  # type: ignore[attr-defined]
    if not worklist.model.rowCount():
        return []
    best = max(
        range(min(worklist.model.rowCount(), 60)),
        key=lambda r: (worklist.model.value(r, "last_consumption") is not None, worklist.model.value(r, "on_order")),
    )
    sku_id, location_id = worklist.model.key_of(best)
    loaded: list[object] = []
    window.show_page("worklist")  # type: ignore[attr-defined]
    part = window.open_part(sku_id, location_id)  # type: ignore[attr-defined]
    part.charts_loaded.connect(loaded.append)
    part.refresh()
    wait_until(app, loaded.__len__)
    part.details.setCurrentIndex(0)
    wait_until(app, lambda: False, 0.6)
    return [_save(window, out / "part-page.png")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a demo database (default: generate one)")
    parser.add_argument("--user", default="demo", help="app user to act as (default: demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--skus", type=int, default=300, help="SKUs of the generated demo database")
    parser.add_argument("--days", type=int, default=3650, help="days of history of the generated demo database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or make_demo_db(Path(tmp), args.skus, args.days)
        for path in take(url, args.out, args.user):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
