"""SQL-backed tables: lazy pages, SQL sort and search, scope, and the Qt model contract."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from sqlalchemy import insert

from tests.clock import ManualClock
from tests.ui.conftest import ON_HAND
from tests.world import World
from vmi_desktop.models import Location, Sku, StockLevel
from vmi_desktop.queries import AgreementsQuery, AuditQuery, LocationsQuery, SkusQuery, StockQuery, VendorsQuery
from vmi_desktop.queries.base import TableQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.models import RAW_ROLE, SqlTableModel
from vmi_desktop.ui.pages.stock import StockPage


def _column_values(model: SqlTableModel, key: str) -> list[object]:
    col = model.column_index(key)
    return [model.index(r, col).data(RAW_ROLE) for r in range(model.rowCount())]


ALL_QUERIES = [StockQuery, SkusQuery, VendorsQuery, LocationsQuery, AgreementsQuery, AuditQuery]


@pytest.mark.parametrize("query_cls", ALL_QUERIES)
def test_every_table_model_passes_the_qt_model_tester(
    qtmodeltester: ModelTester, ctx: AppContext, stocked: World, query_cls: type[TableQuery]
) -> None:
    model = SqlTableModel(ctx, query_cls(), page_size=4)
    model.reload()
    qtmodeltester.check(model, force_py=True)
    assert model.columnCount() == len(query_cls.columns)


def test_stock_model_fetches_only_the_first_page_until_asked(ctx: AppContext, sqlite_db, world: World, qtbot) -> None:
    # 150 more SKUs x 3 locations = 450 more stock rows: more than two pages of 200
    with sqlite_db.transaction() as session:
        session.execute(insert(Location), [{"code": "SITE-9", "name": "Site 9"}])
        session.execute(insert(Sku), [{"part_number": f"X-{i:04d}", "description": "bulk"} for i in range(150)])
        skus = session.query(Sku.id).filter(Sku.part_number.like("X-%")).all()
        locations = session.query(Location.id).all()
        session.execute(
            insert(StockLevel),
            [{"sku_id": s.id, "location_id": loc.id, "on_hand": Decimal(1)} for s in skus for loc in locations],
        )
    model = SqlTableModel(ctx, StockQuery(), page_size=200)
    model.reload()
    assert model.rowCount() == 200
    assert model.pages_fetched == 1
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 400
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 450 + len(ON_HAND)
    assert not model.canFetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.total == 450 + len(ON_HAND))


def test_sorting_happens_in_sql_not_only_on_the_loaded_page(ctx: AppContext, stocked: World) -> None:
    model = SqlTableModel(ctx, StockQuery(), page_size=2)
    model.reload()
    model.sort(model.column_index("on_hand"), Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == 2  # still one page
    assert _column_values(model, "on_hand") == [Decimal(30), Decimal(11)]
    model.sort(model.column_index("location"), Qt.SortOrder.AscendingOrder)
    assert _column_values(model, "location") == ["VAN-7", "VAN-7"]


def test_search_box_filters_at_the_first_key_then_once_after_the_pause(main_window, stocked: World, qtbot) -> None:
    main_window.show_page("stock")
    page = main_window.page("stock")
    assert isinstance(page, StockPage)
    assert page.model.rowCount() == len(ON_HAND)
    before = page.model.page_queries
    main_window.actions_by_hook["find"].trigger()
    assert page.search_box.hasFocus()
    page.clock = ManualClock()  # the three keys come within the window, however slow the machine is
    qtbot.keyClicks(page.search_box, "p-3")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    # the first key filters at once (no wait for a pause); the other two give one more query
    assert page.model.page_queries == before + 2
    assert set(_column_values(page.model, "part_number")) == {"P-3"}
    qtbot.waitUntil(lambda: page.count_label.text() == "2 rows")


def test_search_matches_description_case_insensitively_and_escapes_wildcards(ctx: AppContext, stocked: World) -> None:
    model = SqlTableModel(ctx, SkusQuery())
    model.reload()
    model.set_search("PART P-3")
    assert _column_values(model, "part_number") == ["P-3"]
    model.set_search("%")
    assert model.rowCount() == 0


def test_location_filter_narrows_stock(main_window, stocked: World) -> None:
    page = main_window.page("stock")
    page.location_combo.setCurrentIndex(page.location_combo.findText("WH-1"))
    assert set(_column_values(page.model, "location")) == {"WH-1"}
    assert page.model.rowCount() == 3


def test_supplier_sees_only_its_own_pairs_skus_and_vendor(make_ctx, supplier_actor, stocked: World) -> None:
    ctx = make_ctx(supplier_actor)
    stock = SqlTableModel(ctx, StockQuery())
    stock.reload()
    pairs = {(stock.value(r, "part_number"), stock.value(r, "location")) for r in range(stock.rowCount())}
    assert pairs == {("P-1", "WH-1"), ("P-2", "WH-1"), ("P-1", "VAN-7")}
    skus = SqlTableModel(ctx, SkusQuery())
    skus.reload()
    assert _column_values(skus, "part_number") == ["P-1", "P-2"]
    vendors = SqlTableModel(ctx, VendorsQuery())
    vendors.reload()
    assert _column_values(vendors, "code") == ["ACME"]
    agreements = SqlTableModel(ctx, AgreementsQuery())
    agreements.reload()
    assert set(_column_values(agreements, "vendor")) == {"ACME"}
    assert not stock.can_edit


def test_stock_shows_threshold_vendor_and_position(ctx: AppContext, stocked: World) -> None:
    model = SqlTableModel(ctx, StockQuery())
    model.reload()
    row = next(
        r
        for r in range(model.rowCount())
        if (model.value(r, "part_number"), model.value(r, "location")) == ("P-3", "WH-1")
    )
    assert model.value(row, "vendor") == "BOLT"
    assert model.value(row, "min_qty") == Decimal(4)
    assert model.value(row, "position") == Decimal(2)
    assert model.index(row, model.column_index("mode")).data() == "proposal"
    no_agreement = next(
        r
        for r in range(model.rowCount())
        if (model.value(r, "part_number"), model.value(r, "location")) == ("P-3", "VAN-7")
    )
    assert model.value(no_agreement, "min_qty") is None
    assert not model.flags(model.index(no_agreement, model.column_index("min_qty"))) & Qt.ItemFlag.ItemIsEditable


def test_column_layout_is_remembered(make_ctx, make_window, manager, stocked: World) -> None:
    window = make_window(make_ctx(manager))
    view = window.page("stock").view
    view.setColumnWidth(1, 333)
    window.close()
    again = make_window(make_ctx(manager))
    assert again.page("stock").view.columnWidth(1) == 333
