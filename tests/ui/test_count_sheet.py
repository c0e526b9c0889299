"""A cycle count as a count sheet: blind count, variance review, recount, and one posting of all counts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from tests.conftest import D
from tests.ui.helpers import page_of
from tests.world import World
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import CycleCount, MovementKind, StockMovement
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.forms.count_sheet import COUNTED, SYSTEM, VARIANCE, CountSheetForm
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.stock_forms import StockFormsPage


@pytest.fixture
def sheet(
    make_window: Callable[[AppContext], MainWindow], make_ctx: Callable[[Actor], AppContext], lead: Actor
) -> CountSheetForm:
    page = page_of(make_window(make_ctx(lead)), "stock_forms", StockFormsPage)
    page.set_location("WH-1")
    form = page.open_form("count")
    assert isinstance(form, CountSheetForm)
    return form


def _scan(qtbot: QtBot, widget: object, text: str) -> None:
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def _cell(form: CountSheetForm, part: str, column: int) -> str:
    row = next(i for i, ln in enumerate(form.model.lines) if ln.part.part_number == part)
    return str(form.model.index(row, column).data())


def _on_hand(db: Database, world: World, sku: str) -> Decimal:
    with db.sessions() as s:
        return ledger.current_on_hand(s, world.skus[sku], world.locations["WH-1"])


def test_count_sheet_blind_count_with_a_variance_becomes_a_count_movement(
    qtbot: QtBot, sheet: CountSheetForm, sqlite_db: Database, stocked: World
) -> None:
    sheet.blind.setChecked(True)
    assert sheet.load_location() == 3  # P-1, P-2, P-3 have stock at WH-1
    assert _cell(sheet, "P-1", SYSTEM) == "hidden"
    assert sheet.view.isColumnHidden(VARIANCE)
    _scan(qtbot, sheet.part.edit, "P-1")
    assert "count it" in sheet.part.info.text() and "7" not in sheet.part.info.text()  # blind: no on hand
    _scan(qtbot, sheet.quantity.edit, "5")  # 7 in the system
    _scan(qtbot, sheet.part.edit, "P-2")
    _scan(qtbot, sheet.quantity.edit, "30")  # matches
    assert not sheet.post_button.isEnabled()  # review first

    assert sheet.review() == 1
    assert _cell(sheet, "P-1", SYSTEM) == "7" and _cell(sheet, "P-1", VARIANCE) == "-2"
    assert _cell(sheet, "P-2", VARIANCE) == "0"
    assert "1 not counted (left out)" in sheet.result.text()
    assert sheet.post_button.isEnabled()
    results = sheet.post()

    assert len(results) == 2
    assert _on_hand(sqlite_db, stocked, "P-1") == D(5)
    assert _on_hand(sqlite_db, stocked, "P-3") == D(2)  # not counted: untouched
    with sqlite_db.sessions() as s:
        moves = s.execute(
            select(StockMovement.sku_id, StockMovement.kind, StockMovement.quantity).order_by(StockMovement.id)
        ).all()
        counts = s.execute(select(CycleCount.sku_id, CycleCount.counted_qty, CycleCount.system_qty)).all()
    assert moves == [
        (stocked.skus["P-1"], MovementKind.COUNT, D(-2)),
        (stocked.skus["P-2"], MovementKind.COUNT, D(0)),
    ]
    assert sorted(counts) == [(stocked.skus["P-1"], D(5), D(7)), (stocked.skus["P-2"], D(30), D(30))]
    assert sheet.result.text() == (
        "Posted 2 count(s) at WH-1 together; 1 changed on hand: P-1 -2. 1 line(s) not counted were left out."
    )
    assert sheet.model.lines == []


def test_count_sheet_recount_sends_lines_back_to_counting(
    qtbot: QtBot, sheet: CountSheetForm, sqlite_db: Database, stocked: World
) -> None:
    _scan(qtbot, sheet.part.edit, "P-3")
    _scan(qtbot, sheet.quantity.edit, "9")
    sheet.review()
    assert _cell(sheet, "P-3", VARIANCE) == "+7"
    sheet.view.selectRow(0)
    assert sheet.recount_selected() == 1
    assert _cell(sheet, "P-3", COUNTED) == "" and sheet.model.lines[0].state == "recount"
    assert not sheet.post_button.isEnabled()
    index = sheet.model.index(0, COUNTED)
    assert sheet.model.setData(index, "3")  # typed into the sheet's cell
    sheet.review()
    sheet.post()
    assert _on_hand(sqlite_db, stocked, "P-3") == D(3)


def test_count_sheet_posts_all_counts_or_none(
    qtbot: QtBot, sheet: CountSheetForm, sqlite_db: Database, stocked: World
) -> None:
    sheet.load_location()
    for row, text in enumerate(["6", "25", "1"]):
        sheet.model.set_counted(row, text)
    sheet.review()
    with sqlite_db.engine.begin() as conn:  # the third count fails inside the database
        conn.exec_driver_sql(
            f"CREATE TRIGGER refuse_p3 BEFORE INSERT ON stock_movements WHEN NEW.sku_id = {stocked.skus['P-3']} "
            "BEGIN SELECT RAISE(ABORT, 'the disk said no'); END"
        )
    assert sheet.post() == []
    assert sheet.error.text().startswith("Not posted (no count was):")
    with sqlite_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert s.scalar(select(func.count()).select_from(CycleCount)) == 0
    assert _on_hand(sqlite_db, stocked, "P-1") == D(7)
    assert len(sheet.model.lines) == 3 and sheet.model.lines[0].counted == D(6)  # the sheet is kept
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse_p3")
    assert len(sheet.post()) == 3
    assert [_on_hand(sqlite_db, stocked, p) for p in ("P-1", "P-2", "P-3")] == [D(6), D(25), D(1)]


def test_count_sheet_a_fraction_of_a_whole_unit_is_refused_at_the_line(
    qtbot: QtBot, sheet: CountSheetForm, stocked: World
) -> None:
    _scan(qtbot, sheet.part.edit, "P-1")
    qtbot.keyClicks(sheet.quantity.edit, "2.5")
    assert "counted in whole units" in sheet.quantity.reason.text()
    qtbot.keyClick(sheet.quantity.edit, Qt.Key.Key_Return)
    assert "counted in whole units" in sheet.error.text()
    assert sheet.model.lines == []
