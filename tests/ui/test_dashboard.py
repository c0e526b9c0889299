"""The dashboard loads fleet health off the UI thread and charts the selected pair and vendor."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from pytestqt.qtbot import QtBot
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.ui.helpers import cell_text, page_of, show_page
from tests.world import World
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import POOrigin, POStatus, Role, StockMovement
from vmi_desktop.queries.worklist import WorklistQuery
from vmi_desktop.replenishment import orders as po_api
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.dashboard import DashboardPage
from vmi_desktop.ui.pages.worklist import WorklistPage

T0 = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)


def _history(db: Database, actor: Actor, world: World) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, actor, "P-1", "WH-1", 20, occurred_at=T0)
        for i in range(12):
            ledger.post_consumption(s, actor, "P-1", "WH-1", 1, occurred_at=T0 + timedelta(days=i, hours=3))
        ledger.post_receipt(s, actor, "P-2", "WH-1", 30, occurred_at=T0)  # over max 20
        po_api.create_order(
            s,
            actor,
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            lines=[po_api.NewLine(sku_id=world.skus["P-1"], quantity=Decimal(12))],
            origin=POOrigin.MANUAL,
            status=POStatus.AWAITING_APPROVAL,
        )


def _page(qtbot: QtBot, ctx: AppContext) -> DashboardPage:
    page = DashboardPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    qtbot.waitUntil(lambda: page.health is not None, timeout=5000)
    return page


def test_fleet_health_cards_and_tables(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    _history(sqlite_db, manager, world)
    page = _page(qtbot, make_ctx(manager))
    # P-1@WH-1 8 < min 10 but 12 await approval (position 20); P-3@WH-1 and P-1@VAN-7 never posted (0):
    # at or below min on position, and out of stock. The worklist also holds P-1@WH-1 (its order waits).
    assert page.cards["pairs"].text() == "4"
    assert page.cards["below_min"].text() == "2"
    assert page.cards["worklist"].text() == "3"
    assert page.health is not None and (page.health.below_min, page.health.on_worklist) == (2, 3)
    assert page.cards["stock_outs"].text() == "2"
    assert page.cards["over_max"].text() == "1"
    assert page.cards["open_orders"].text() == "1"
    assert cell_text(page.orders_table, 0, 0) == "awaiting approval"
    parts = {
        (cell_text(page.attention_table, r, 0), cell_text(page.attention_table, r, 1))
        for r in range(page.attention_table.rowCount())
    }
    assert parts == {("P-1", "WH-1"), ("P-3", "WH-1"), ("P-1", "VAN-7")}
    assert page.location_combo.count() == 2


def test_selecting_a_pair_charts_its_ledger_series(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    _history(sqlite_db, manager, world)
    page = _page(qtbot, make_ctx(manager))
    row = next(
        r
        for r in range(page.attention_table.rowCount())
        if (cell_text(page.attention_table, r, 0), cell_text(page.attention_table, r, 1)) == ("P-1", "WH-1")
    )
    with qtbot.waitSignal(page.pair_loaded, timeout=5000):
        page.attention_table.selectRow(row)
    with sqlite_db.transaction() as s:
        posted = s.execute(
            select(StockMovement.occurred_at, StockMovement.on_hand_after)
            .where(
                StockMovement.sku_id == world.skus["P-1"],
                StockMovement.location_id == world.locations["WH-1"],
            )
            .order_by(StockMovement.occurred_at)
        ).all()
    curve = page.stock_chart.curve
    assert np.array_equal(curve.xData, [p[0].timestamp() for p in posted])
    assert np.array_equal(curve.yData, [float(p[1]) for p in posted])
    assert page.consumption_chart.bars.opts["height"].tolist() == [1.0] * 12
    assert "P-1 at WH-1" in page.chart_title.text() and "min 10 / max 50" in page.chart_title.text()


def test_typed_pair_and_vendor_charts(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    _history(sqlite_db, manager, world)
    page = _page(qtbot, make_ctx(manager))
    page.location_combo.setCurrentText("WH-1")
    qtbot.keyClicks(page.part_edit, "P-2")
    with qtbot.waitSignal(page.pair_loaded, timeout=5000) as blocker:
        page.show_button.click()
    assert blocker.args[0].stock.on_hand.tolist() == [30.0]
    codes = [cell_text(page.suppliers_table, r, 0).split(" — ")[0] for r in range(page.suppliers_table.rowCount())]
    assert sorted(codes) == ["ACME", "BOLT"]
    with qtbot.waitSignal(page.vendor_loaded, timeout=5000):
        page.suppliers_table.selectRow(codes.index("ACME"))
    assert page.chart_tabs.currentWidget() is page.vendor_charts


def test_supplier_dashboard_shows_only_its_scope(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    _history(sqlite_db, manager, world)
    bolt = Actor(name="bolt-rep", role=Role.SUPPLIER, vendor_id=world.vendors["BOLT"])
    page = _page(qtbot, make_ctx(bolt))
    assert page.cards["pairs"].text() == "1"
    assert page.cards["open_orders"].text() == "0"  # the ACME order is not BOLT's
    assert cell_text(page.attention_table, 0, 0) == "P-3"
    page.location_combo.setCurrentText("WH-1")
    page.part_edit.setText("P-1")
    page.show_typed_pair()
    assert "No SKU 'P-1' at WH-1 in your scope" in page.chart_title.text()


def test_pages_live_in_the_main_window_and_answer_refresh_and_find(qtbot: QtBot, main_window: MainWindow) -> None:
    from vmi_desktop.ui.pages.alerts import AlertsPage
    from vmi_desktop.ui.pages.orders import OrdersPage

    window = main_window
    page_of(window, "alerts", AlertsPage)
    orders_page = page_of(window, "orders", OrdersPage)
    dashboard = show_page(window, "dashboard", DashboardPage)  # a parts manager starts on the worklist
    qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)
    for key in ("dashboard", "orders", "alerts"):
        window.show_page(key)
        assert window.call_page("refresh")
    window.show_page("orders")
    assert window.call_page("find")
    qtbot.waitUntil(lambda: orders_page.search.hasFocus(), timeout=2000)
    qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """The SQL texts run on ``db`` (any thread) while the block runs."""
    ran: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        ran.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield ran
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_the_dashboard_shows_the_worklist_pages_count_instead_of_counting_again(
    qtbot: QtBot, main_window: MainWindow, ctx: AppContext, manager: Actor
) -> None:
    window = main_window
    worklist = page_of(window, "worklist", WorklistPage)  # the parts manager's start page counts its rows
    qtbot.waitUntil(lambda: worklist.model.total is not None, timeout=5000)
    with _statements(ctx.db) as counting, Session(ctx.db.engine) as session:
        counts = WorklistQuery().counts(session, manager)
    count_sql = set(counting)
    assert count_sql
    with _statements(ctx.db) as ran:
        dashboard = show_page(window, "dashboard", DashboardPage)
        qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)
    assert dashboard.worklist_count_was == "kept"
    assert not count_sql & set(ran)  # none of the count's statements ran again
    assert worklist.worklist.counts == counts
    assert dashboard.cards["worklist"].text() == str(counts.total)
    assert dashboard.cards["below_min"].text() == str(counts.at_or_below_min)

    dashboard.health = None
    with _statements(ctx.db) as ran:
        assert window.call_page("refresh")  # F5 reads everything again
        qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)
    assert dashboard.worklist_count_was == "started"
    assert count_sql <= set(ran)

    window.show_page("worklist")
    with _statements(ctx.db) as ran:
        assert window.call_page("refresh")  # and the worklist's F5 never takes the dashboard's kept count
        qtbot.waitUntil(lambda: worklist.model.total is not None, timeout=5000)
    assert count_sql <= set(ran)


def test_a_commit_after_the_worklists_count_makes_the_dashboard_count_again(
    qtbot: QtBot, main_window: MainWindow, ctx: AppContext, manager: Actor
) -> None:
    from vmi_desktop.commands import stock

    window = main_window
    worklist = page_of(window, "worklist", WorklistPage)
    qtbot.waitUntil(lambda: worklist.model.total is not None, timeout=5000)
    before = worklist.worklist.counts
    assert before is not None
    stock.consume(ctx.db, manager, "P-2", "WH-1", 25)  # P-2 at WH-1: 30 -> 5, below its min
    qtbot.waitUntil(lambda: not ctx.shared.is_kept(WorklistQuery().counts_key(manager)), timeout=5000)
    dashboard = show_page(window, "dashboard", DashboardPage)
    qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)
    assert dashboard.health is not None
    assert dashboard.health.on_worklist == before.total + 1  # never the count from before the commit


def test_the_dashboard_page_is_built_without_the_chart_library() -> None:
    """Its first showing imports no numpy or pyqtgraph: the charts load them when first drawn."""
    code = (
        "import sys; import vmi_desktop.ui.pages.dashboard; "
        "print(sorted(m for m in ('numpy', 'pyqtgraph') if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


def test_cards_group_thousands_as_the_worklist_header_does(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    # a million pairs read as "1,000,001", not "1000001" (the cards' figures arrive from the worker as counts)
    page = _page(qtbot, make_ctx(manager))
    page._part("counts", (1_000_001, 0, 16_958, 141_547))
    assert [page.cards[key].text() for key in ("pairs", "stock_outs", "over_max")] == ["1,000,001", "16,958", "141,547"]
