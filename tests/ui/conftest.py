"""UI fixtures: a real SQLite database with a small world, an AppContext, the main window.

QSettings are redirected to the test's temporary folder, so tests never read
or write the user's real settings. Qt warnings fail the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.world import World, build_world
from vmi_desktop.config import Settings
from vmi_desktop.db import Database
from vmi_desktop.models import Role
from vmi_desktop.scope import Actor
from vmi_desktop.ui import garbage
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:  # imported lazily by the fixture: it pulls in every page
    from vmi_desktop.ui.main_window import MainWindow

#: Qt messages that say nothing about our code (offscreen platform limitations).
_QT_NOISE = [
    r"This plugin does not support",
    r"propagateSizeHints",
    r"QFont::",
    r"Populating font family aliases",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every UI test fails on Qt warnings (as qutebrowser does), minus offscreen noise."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*_QT_NOISE))


@pytest.fixture(autouse=True)
def _ui_thread_collector(qapp: QApplication) -> Iterator[None]:
    """Cycles collected on the UI thread during each UI test, as in the app (``ui.garbage``): a
    background count's thread collecting a closed test's widgets froze the suite once. Handed back to
    the interpreter after the test (its workers are done by then), so other tests run as usual."""
    ui_collector = garbage.install(qapp)
    yield
    ui_collector.stop()


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path) -> Iterator[Path]:
    """QSettings (window geometry, column layouts) go to the test's tmp folder."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def ui_db(sqlite_db: Database) -> Database:
    """The SQLite test database (alias kept short for UI tests)."""
    return sqlite_db


@pytest.fixture
def world(sqlite_db: Database) -> World:
    """``tests.world.build_world`` committed into the SQLite test database."""
    with sqlite_db.transaction() as session:
        return build_world(session)


@pytest.fixture
def supplier_actor(world: World) -> Actor:
    """A supplier user bound to ACME (agreements: P-1 and P-2 at WH-1, P-1 at VAN-7)."""
    return Actor(name="acme-rep", role=Role.SUPPLIER, vendor_id=world.vendors["ACME"])


@pytest.fixture
def make_ctx(qtbot: QtBot, sqlite_db: Database, tmp_path: Path) -> Iterator[Callable[[Actor], AppContext]]:
    """Factory of AppContexts over the test database for a given actor; waits for tasks at the end."""
    runners: list[TaskRunner] = []

    def make(actor: Actor) -> AppContext:
        runner = TaskRunner()
        runners.append(runner)
        return AppContext(
            db=sqlite_db, actor=actor, settings=Settings(data_dir=tmp_path, config_dir=tmp_path), runner=runner
        )

    yield make
    for runner in runners:
        runner.wait(10000)


@pytest.fixture
def ctx(make_ctx: Callable[[Actor], AppContext], stocked: World, manager: Actor) -> AppContext:
    """A parts manager's context over the small world with stock levels."""
    return make_ctx(manager)


@pytest.fixture
def make_window(qtbot: QtBot, stocked: World) -> Callable[[AppContext], MainWindow]:
    """Factory of shown MainWindows for a context (no close confirmation in tests)."""
    from vmi_desktop.ui.main_window import MainWindow

    def make(context: AppContext) -> MainWindow:
        window = MainWindow(context)
        window.confirm_unsaved = False
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def main_window(make_window: Callable[[AppContext], MainWindow], ctx: AppContext) -> MainWindow:
    """The real main window of a parts manager over the small world, shown offscreen."""
    return make_window(ctx)


#: on hand per (SKU, location) written by the ``stocked`` fixture
ON_HAND = {
    ("P-1", "WH-1"): 7,
    ("P-2", "WH-1"): 30,
    ("P-3", "WH-1"): 2,
    ("P-1", "VAN-7"): 1,
    ("P-2", "VAN-7"): 0,
    ("P-3", "VAN-7"): 11,
}


@pytest.fixture
def stocked(sqlite_db: Database, world: World) -> World:
    """The small world with a stock level for every SKU x location (set-based insert)."""
    from decimal import Decimal

    from sqlalchemy import insert

    from vmi_desktop.models import StockLevel
    from vmi_desktop.replenishment.pair_figures import refresh_pair_figures

    with sqlite_db.transaction() as session:
        session.execute(
            insert(StockLevel),
            [
                {"sku_id": world.skus[s], "location_id": world.locations[loc], "on_hand": Decimal(q)}
                for (s, loc), q in ON_HAND.items()
            ],
        )
        refresh_pair_figures(session)  # written past the ledger: the agreements' copies too, as bulk loads do
    return world
