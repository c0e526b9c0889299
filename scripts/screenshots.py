"""Start the real app on a demo database and save a PNG of each main page, the stock forms and dialogs.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshots.py \
        --database-url sqlite:////tmp/demo.sqlite3 --out docs/screenshots [--size 1024x640]

Without ``--database-url`` a demo database (300 SKUs, 4 locations, ten years) is generated into a
temporary folder first. The stock-form shots post a few movements (a consumption, a transfer, a
count sheet under review): a SQLite database given with ``--database-url`` is copied first and the
copy is used, so the database itself is never changed; on another server those shots show the
empty forms. Works under Xvfb (a real X server, what CI runs) and with ``QT_QPA_PLATFORM=offscreen``.

The supplier pictures show the first demo vendor: ``supplier-workspace.png`` as its own user sees it
(on PostgreSQL that is its own login; on the built-in demo file the picture acts as that user directly),
``supplier-workspace-pairs.png`` its pairs with a pair's stock chart, and ``supplier-preview.png`` the
parts manager's "View as supplier" window of the same vendor.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["worklist", "dashboard", "stock", "skus", "vendors", "locations", "agreements", "orders", "alerts", "audit"]


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


def private_copy(url: str, folder: Path) -> tuple[str, bool]:
    """A SQLite database is copied (the shots post to the copy); (url, whether postings are allowed)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url, False
    source = Path(url[len(prefix) :])
    target = folder / "screenshots.sqlite3"
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))
    return prefix + str(target), True


def wait_until(app: object, condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        if condition():
            return True
        time.sleep(0.02)
    return False


def _save(widget: object, path: Path) -> Path:
    """Grab a widget; 256-colour PNG at the strongest compression keeps the repository small (~40 kB)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = widget.grab().toImage()  # type: ignore[attr-defined]
    flags = Qt.ImageConversionFlag.AvoidDither | Qt.ImageConversionFlag.ThresholdDither
    if not image.convertToFormat(QImage.Format.Format_Indexed8, flags).save(str(path), "PNG", 0):
        raise OSError(f"could not write {path}")
    return path


def _type(app: Any, edit: Any, text: str) -> None:
    """What a scanner does: the characters, then Enter."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)
    app.processEvents()


def stock_form_shots(app: Any, window: Any, out: Path, *, post: bool) -> list[Path]:
    """The stock forms after a consumption and a transfer, and a count sheet under review."""
    from vmi_desktop.queries.stock_forms import count_sheet_lines

    if "stock_forms" not in window.page_keys():
        return []
    forms = window.page("stock_forms")
    saved: list[Path] = []
    location = forms.location.itemText(1) if forms.location.count() > 1 else ""
    forms.set_location(location)
    with forms.ctx.db.sessions() as session:
        lines, _more = count_sheet_lines(session, forms.ctx.actor, forms.location.currentData(), limit=40)
    stocked = [p for p in lines if p.on_hand >= 4]
    if post and len(stocked) >= 3:
        forms.open_form("transfer")
        forms.to_location.setCurrentIndex(2 if forms.to_location.count() > 2 else 0)
        _type(app, forms.transfer.part.edit, stocked[2].part_number)
        _type(app, forms.transfer.quantity.edit, "1")
        forms.open_form("consume")
        _type(app, forms.consume.reference, "WO-24117")
        _type(app, forms.consume.part.edit, stocked[0].part_number)
        _type(app, forms.consume.quantity.edit, "2")
        _type(app, forms.consume.part.edit, stocked[1].part_number)
        forms.consume.quantity.edit.setText("1.5")  # a fraction of a whole unit: refused at the field
        forms.consume.quantity.check()
    else:
        forms.open_form("consume")
    wait_until(app, lambda: False, 0.5)
    saved.append(_save(window, out / "stock-forms.png"))

    sheet = forms.open_form("count")
    sheet.blind.setChecked(True)
    sheet.load_location()
    if post:
        for row, line in enumerate(sheet.model.lines[:14]):
            counted = line.part.on_hand - 1 if row in (2, 7) else line.part.on_hand + (1 if row == 11 else 0)
            sheet.model.set_counted(row, f"{max(counted, 0).normalize():f}")
        sheet.review()
        sheet.view.selectRow(7)
    wait_until(app, lambda: False, 0.5)
    saved.append(_save(window, out / "count-sheet.png"))
    return saved


def dialog_shots(app: Any, window: Any, out: Path) -> list[Path]:
    """The new-order dialog (stock, min/max, suggested) and the credentials dialog, at the size they open."""
    from vmi_desktop.secrets import CredentialStore
    from vmi_desktop.ui.dialogs.credentials import CredentialsDialog
    from vmi_desktop.ui.dialogs.order_manual import ManualOrderDialog

    saved: list[Path] = []
    dialog = ManualOrderDialog(window.ctx, window)
    dialog.show()
    wait_until(app, lambda: False, 0.3)
    dialog.use_suggested()
    saved.append(_save(dialog, out / "new-order.png"))
    dialog.close()
    vendor_id = dialog.vendor.currentData()
    if vendor_id is not None:
        credentials = CredentialsDialog(window.ctx, vendor_id, store=CredentialStore.in_memory(), parent=window)
        credentials.show()
        wait_until(app, lambda: credentials.is_loaded, 5)
        wait_until(app, lambda: False, 0.3)
        saved.append(_save(credentials, out / "credentials.png"))
        credentials.close()
    return saved


def proposal_shots(app: Any, window: Any, out: Path) -> list[Path]:
    """Two suppliers propose thresholds (the database is a copy), and the parts manager's dialog shows them."""
    from sqlalchemy import select

    from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds
    from vmi_desktop.models import SupplyAgreement, Vendor
    from vmi_desktop.scope import vendor_actor
    from vmi_desktop.ui.dialogs.proposals import ProposalsDialog

    db = window.ctx.db
    reasons = ("usage at this site doubled since the new contract", "we deliver weekly now: a smaller max")
    with db.sessions() as session:
        picks = session.execute(
            select(SupplyAgreement.id, SupplyAgreement.min_qty, SupplyAgreement.max_qty, Vendor.id, Vendor.code)
            .join(Vendor, Vendor.id == SupplyAgreement.vendor_id)
            .where(SupplyAgreement.active.is_(True), SupplyAgreement.min_qty >= 4)
            .order_by(SupplyAgreement.id)
            .limit(2)
        ).all()
    for (agreement_id, mn, mx, vendor_id, code), reason, factor in zip(picks, reasons, (2, 1), strict=False):
        proposal = ProposedThresholds(agreement_id, mn * factor, mx * factor - (0 if factor == 2 else mn), reason)
        propose_thresholds(db, vendor_actor(vendor_id, code), [proposal])
    dialog = ProposalsDialog(window.ctx, window)
    dialog.show()
    dialog.select_rows([0])
    wait_until(app, lambda: False, 0.3)
    saved = [_save(dialog, out / "threshold-proposals.png")]
    dialog.close()
    return saved


def take(
    database_url: str, out: Path, user: str, width: int = 1280, height: int = 800, *, post: bool = True
) -> list[Path]:
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
                alerts.view.selectRow(0)
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
        saved += stock_form_shots(app, window, out, post=post)
        if post:
            saved += proposal_shots(app, window, out)
        saved += dialog_shots(app, window, out)
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
    parser.add_argument("--database-url", help="a demo database (default: generate one); SQLite is copied first")
    parser.add_argument("--user", default="demo", help="app user to act as (default: demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT (default 1280x800)")
    parser.add_argument("--skus", type=int, default=300, help="SKUs of the generated demo database")
    parser.add_argument("--days", type=int, default=3650, help="days of history of the generated demo database")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            url, post = private_copy(args.database_url, Path(tmp))
        else:
            url, post = make_demo_db(Path(tmp), args.skus, args.days), True
        shots = take(url, args.out, args.user, width, height, post=post)
        for path in [*shots, *take_supplier(url, args.out, args.user, width, height)]:
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
