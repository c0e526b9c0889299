"""File > Import...: the dry-run table of every row's fate, all or nothing, good rows with a rejects file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from tests.world import World
from vmi_desktop.models import SupplyAgreement
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.import_file import ImportDialog
from vmi_desktop.ui.main_window import MainWindow

HEADER = ["vendor", "sku", "location", "min_qty", "max_qty"]
ROWS = [
    ["ACME", "P-1", "WH-1", 12, 60],
    ["ACME", "P-2", "VAN-7", 9, 3],
    ["NOPE", "P-2", "WH-1", 1, 2],
    ["BOLT", "P-2", "VAN-7", 1, 3],
]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "agreements"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    workbook.save(path)
    return path


def _dialog(qtbot: QtBot, ctx: AppContext, path: Path) -> ImportDialog:
    dialog = ImportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.entity.setCurrentIndex(dialog.entity.findData("agreements"))
    dialog.path.setText(str(path))
    return dialog


def _agreements(ctx: AppContext) -> int:
    with ctx.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(SupplyAgreement)) or 0)


def test_check_shows_every_rows_fate_and_refuses_to_import_a_file_with_bad_rows(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path, qtmodeltester: ModelTester
) -> None:
    dialog = _dialog(qtbot, ctx, _xlsx(tmp_path / "a.xlsx", ROWS))
    before = _agreements(ctx)
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.cancel_button.isEnabled() is False, timeout=10000)
    qtmodeltester.check(dialog.model)
    fates = [dialog.model.index(r, 1).data() for r in range(dialog.model.rowCount())]
    assert fates == ["update", "rejected", "rejected", "create"]
    assert "min (9) is above max (3)" in dialog.model.index(1, 3).data()
    assert "unknown vendor 'NOPE'" in dialog.model.index(2, 3).data()
    assert "2 rejected" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    dialog.good_only.setChecked(True)
    assert dialog.import_button.isEnabled()
    assert _agreements(ctx) == before


def test_good_rows_import_and_the_refused_ones_are_saved(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, ctx, _xlsx(tmp_path / "a.xlsx", ROWS))
    dialog.check()
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.cancel_button.isEnabled(), timeout=10000)
    before = _agreements(ctx)
    rejects = tmp_path / "rejects.csv"
    dialog.run_import(tmp_path / "a.xlsx", rejects)
    qtbot.waitUntil(lambda: dialog.imported is not None, timeout=10000)
    assert dialog.imported is not None and dialog.imported.applied
    assert _agreements(ctx) == before + 1
    assert len(rejects.read_text().splitlines()) == 3 and "Refused rows saved" in dialog.summary.text()


def test_a_file_of_good_rows_imports_and_a_second_check_finds_it_unchanged(
    qtbot: QtBot, ctx: AppContext, tmp_path: Path
) -> None:
    path = _xlsx(tmp_path / "good.xlsx", [ROWS[0], ROWS[3]])
    dialog = _dialog(qtbot, ctx, path)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.imported is not None and not dialog.cancel_button.isEnabled(), timeout=10000)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.cancel_button.isEnabled(), timeout=10000)
    assert dialog.plan is not None and {r.action for r in dialog.plan.rows} == {"unchanged"}


def test_file_menu_opens_the_import_dialog(main_window: MainWindow) -> None:
    assert main_window.import_action.isEnabled()
    dialog = main_window.open_import()
    assert isinstance(dialog, ImportDialog) and dialog.isVisible()
    dialog.close()


def test_a_supplier_cannot_open_import(
    make_ctx: Callable[[Actor], AppContext],
    make_window: Callable[[AppContext], MainWindow],
    supplier_actor: Actor,
    stocked: World,
) -> None:
    window = make_window(make_ctx(supplier_actor))
    assert not window.import_action.isEnabled()
