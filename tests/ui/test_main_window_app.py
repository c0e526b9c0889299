"""Starting the app: first start creates a parts manager, startup problems are shown in a dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import insert, text

from vmi_desktop.config import Settings
from vmi_desktop.db import Database
from vmi_desktop.models import Role, Sku
from vmi_desktop.queries.maintenance import (
    refresh_planner_statistics,
    statistics_are_missing,
    statistics_are_stale,
    statistics_have_drifted,
)
from vmi_desktop.ui import startup
from vmi_desktop.ui.app import open_context, run_app
from vmi_desktop.ui.main_window import MainWindow


def _close_dialog_later(seen: list[str]) -> None:
    def close() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.windowTitle() + ": " + box.text())
            box.done(0)
        else:
            QTimer.singleShot(20, close)

    QTimer.singleShot(20, close)


def test_first_start_makes_the_os_user_a_parts_manager(qtbot, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, username="ines")
    ctx = open_context(settings)
    try:
        assert (ctx.actor.name, ctx.actor.role) == ("ines", Role.PARTS_MANAGER)
        assert ctx.db.sqlite_path == tmp_path / "vmi.sqlite3"
    finally:
        ctx.runner.wait()
        ctx.db.dispose()


def test_a_database_from_a_newer_app_is_refused_with_a_dialog(qtbot, sqlite_db: Database, tmp_path: Path) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    seen: list[str] = []
    _close_dialog_later(seen)
    assert run_app(Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=sqlite_db.url)) == 2
    assert len(seen) == 1
    assert seen[0].startswith("Database is newer than this app: ")
    assert "newer version of VMI Desktop" in seen[0]


def test_an_unknown_user_is_told_to_ask_a_parts_manager(qtbot, sqlite_db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=sqlite_db.url)
    open_context(
        Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=sqlite_db.url, username="first")
    ).db.dispose()
    seen: list[str] = []
    _close_dialog_later(seen)
    assert run_app(settings.with_overrides(username="stranger")) == 2
    assert seen == [
        "Cannot start VMI Desktop: user 'stranger' is not known in this database; ask a parts manager to add you"
    ]


def _stock_rows(db: Database, skus: int, *, stocked: int) -> None:
    """``skus`` SKUs at one location, the first ``stocked`` of them with a stock row (written in bulk)."""
    with db.transaction() as session:
        session.execute(insert(Sku), [{"part_number": f"S-{i}"} for i in range(skus)])
        session.execute(
            text(
                "INSERT INTO locations (code, name, kind, allow_negative_stock, active, version, "
                "updated_at) VALUES ('L', 'L', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
            )
        )
        session.execute(
            text(
                "INSERT INTO stock_levels (sku_id, location_id, on_hand, updated_at) "
                "SELECT skus.id, locations.id, 1, '2026-01-01 00:00:00' FROM skus, locations WHERE skus.id <= :n"
            ),
            {"n": stocked},
        )


def test_planner_statistics_are_refreshed_only_when_the_stock_table_changed_size(sqlite_db: Database) -> None:
    _stock_rows(sqlite_db, 1200, stocked=1200)
    assert statistics_are_stale(sqlite_db)
    assert refresh_planner_statistics(sqlite_db)
    assert not statistics_are_stale(sqlite_db)
    assert not refresh_planner_statistics(sqlite_db)
    # an index a migration adds afterwards has no statistics: the planner would use it blindly
    with sqlite_db.transaction() as session:
        session.execute(text("CREATE INDEX ix_added_later ON stock_levels (on_hand, sku_id)"))
    assert statistics_are_stale(sqlite_db)
    assert refresh_planner_statistics(sqlite_db)
    assert not statistics_are_stale(sqlite_db)


def test_a_drifted_size_is_told_apart_from_missing_statistics(sqlite_db: Database) -> None:
    """The start checks missing statistics before its first queries; a drift (it counts the table) after."""
    _stock_rows(sqlite_db, 3000, stocked=1200)
    assert statistics_are_missing(sqlite_db)
    assert not statistics_have_drifted(sqlite_db)  # nothing to drift from yet
    assert refresh_planner_statistics(sqlite_db, check=statistics_are_missing)
    assert not statistics_are_missing(sqlite_db)
    with sqlite_db.transaction() as session:  # the stock table more than doubles
        session.execute(
            text(
                "INSERT INTO stock_levels (sku_id, location_id, on_hand, updated_at) "
                "SELECT skus.id, locations.id, 1, '2026-01-01 00:00:00' FROM skus, locations WHERE skus.id > 1200"
            )
        )
    assert not statistics_are_missing(sqlite_db)
    assert not refresh_planner_statistics(sqlite_db, check=statistics_are_missing)
    assert statistics_have_drifted(sqlite_db)
    assert statistics_are_stale(sqlite_db)
    assert refresh_planner_statistics(sqlite_db, check=statistics_have_drifted)
    assert not statistics_are_stale(sqlite_db)


def test_pages_are_built_when_first_shown(main_window: MainWindow) -> None:
    """The window is usable before every page has been imported and has run its first queries."""
    start = main_window.start_page()  # the worklist, for a parts manager
    assert start == "worklist"
    assert list(main_window.built_pages()) == [start]
    main_window.show_page("orders")
    assert "orders" in main_window.built_pages()
    assert main_window.current_page() is main_window.page("orders")
    assert "audit" not in main_window.built_pages()
    assert main_window.page("audit") is main_window.built_pages()["audit"]  # built on demand


class _PaintCounter(QObject):
    """Counts the paint events of the widget it watches."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_steps_deferred_until_the_first_paint_wait_for_it_and_run_in_order(qtbot) -> None:
    """What the start page's first paint does not need (the Sync page, the count) runs after that paint,
    and the reporters see the table's rows (its viewport) painted already."""
    window = QMainWindow()
    central = QWidget()
    stack = QStackedWidget()
    QVBoxLayout(central).addWidget(stack)
    page = QWidget()
    page.view = QTableView(page)  # type: ignore[attr-defined]  # a table page's table
    stack.addWidget(page)
    window.setCentralWidget(central)
    qtbot.addWidget(window)
    ran: list[str] = []
    seen_at_paint: list[tuple[list[str], int]] = []
    rows_painted = _PaintCounter()
    page.view.viewport().installEventFilter(rows_painted)  # type: ignore[attr-defined]
    startup.hold_until_painted()
    try:
        startup.after_first_paint(lambda: ran.append("first"))
        startup.after_first_paint(lambda: ran.append("second"))
        assert startup.paint_target(window) is page.view  # type: ignore[attr-defined]
        startup.release_on_first_paint(window, [lambda: seen_at_paint.append((list(ran), rows_painted.paints))])
        assert ran == []
        window.show()
        qtbot.waitUntil(lambda: ran == ["first", "second"], timeout=5000)
        # the reporters run after the paint of the table's rows, before any deferred step
        assert len(seen_at_paint) == 1
        assert seen_at_paint[0][0] == []
        assert seen_at_paint[0][1] >= 1
        startup.after_first_paint(lambda: ran.append("now"))
        assert ran[-1] == "now"  # once painted, a step runs at once
    finally:
        startup.reset()
