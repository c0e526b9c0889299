"""Start the real app on a demo database and save a PNG of each main page.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshots.py \
        --database-url sqlite:////tmp/demo.sqlite3 --out docs/screenshots

Without ``--database-url`` a demo database (300 SKUs, 4 locations, ten years)
is generated into a temporary folder first. Works under Xvfb (a real X
server, what CI runs) and with ``QT_QPA_PLATFORM=offscreen``.

The supplier pictures show the first demo vendor: ``supplier-workspace.png`` as its own user sees it
(on PostgreSQL that is its own login; on the built-in demo file the picture acts as that user directly),
``supplier-workspace-pairs.png`` its pairs with a pair's stock chart, and ``supplier-preview.png`` the
parts manager's "View as supplier" window of the same vendor.
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

PAGES = ["dashboard", "stock", "skus", "vendors", "agreements", "orders", "alerts", "audit"]


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
            wait_until(app, lambda: dashboard.health is not None)
            if dashboard.attention_table.rowCount():
                dashboard.attention_table.selectRow(0)
                wait_until(app, lambda: dashboard.pair is not None)
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
    finally:
        window.close()
        ctx.runner.wait(10000)
        ctx.db.dispose()
    return saved


def take_supplier(database_url: str, out: Path, user: str, width: int = 1280, height: int = 800) -> list[Path]:
    """The first vendor's supplier workspace (its orders, its pairs) and the parts manager's preview of it."""
    from sqlalchemy import select

    from vmi_desktop.config import Settings
    from vmi_desktop.models import POStatus, Role, Vendor
    from vmi_desktop.scope import Actor
    from vmi_desktop.ui.app import application, open_context
    from vmi_desktop.ui.context import AppContext
    from vmi_desktop.ui.main_window import MainWindow

    app = application()
    manager_ctx = open_context(Settings(database_url=database_url, username=user))
    with manager_ctx.db.sessions() as session:
        vendor_id, code = session.execute(select(Vendor.id, Vendor.code).order_by(Vendor.code)).first()  # type: ignore[misc]
    supplier = Actor(name=f"{code.lower()}-rep", role=Role.SUPPLIER, vendor_id=vendor_id, login=f"{code.lower()}-rep")
    ctx = AppContext(db=manager_ctx.db, actor=supplier, settings=manager_ctx.settings, runner=manager_ctx.runner)
    windows: list[MainWindow] = []
    saved: list[Path] = []
    try:
        window = MainWindow(ctx)
        windows.append(window)
        window.confirm_unsaved = False
        window.resize(width, height)
        window.show()
        window.show_page("supplier")
        page = window.page("supplier")
        rows = page.orders_model.rows  # type: ignore[attr-defined]
        chosen = next((r for r in rows if r.status == POStatus.SENT), rows[0] if rows else None)
        if chosen is not None:
            page.select_order(chosen.id)  # type: ignore[attr-defined]
        wait_until(app, lambda: False, 0.6)
        saved.append(_save(window, out / "supplier-workspace.png"))
        page.tabs.setCurrentIndex(1)  # type: ignore[attr-defined]
        pairs = page.pairs_model.rows  # type: ignore[attr-defined]
        if pairs:
            page.pairs_view.selectRow(0)  # type: ignore[attr-defined]
        wait_until(app, lambda: False, 0.6)
        saved.append(_save(window, out / "supplier-workspace-pairs.png"))
        manager = MainWindow(manager_ctx)
        windows.append(manager)
        preview = manager.open_supplier_preview(vendor_id)
        windows.append(preview)
        preview.resize(width, height)
        preview.show_page("stock")
        wait_until(app, lambda: False, 0.8)
        saved.append(_save(preview, out / "supplier-preview.png"))
    finally:
        for w in reversed(windows):
            w.close()
        manager_ctx.runner.wait(10000)
        manager_ctx.db.dispose()
    return saved


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
        for path in [*take(url, args.out, args.user), *take_supplier(url, args.out, args.user)]:
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
