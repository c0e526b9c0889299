"""The first-run wizard driven as a person would: to a working SQLite file, and to a PostgreSQL database."""

from __future__ import annotations

import itertools
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWizard
from sqlalchemy import select, text

from tests.pg import PgCluster
from vmi_desktop.config import Settings
from vmi_desktop.db import create_database
from vmi_desktop.first_run import import_available, needs_first_run
from vmi_desktop.models import Role, Sku, User
from vmi_desktop.site_settings import read_site_settings, settings_path
from vmi_desktop.ui.first_run import (
    IMPORT_PENDING_TEXT,
    PAGE_DATABASE,
    PAGE_MANAGER,
    PAGE_SERVER,
    PAGE_SETUP,
    PAGE_START,
    FirstRunWizard,
)
from vmi_desktop.ui.main_window import MainWindow

_names = itertools.count()


def _click(qtbot, wizard: QWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isEnabled(), f"{which} is disabled on page {wizard.currentId()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _next(qtbot, wizard: QWizard) -> None:
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)


def _type(qtbot, line_edit, value: str) -> None:
    line_edit.clear()
    qtbot.keyClicks(line_edit, value)


def _finish(qtbot, wizard: FirstRunWizard) -> None:
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.FinishButton).isEnabled(), timeout=60000)
    with qtbot.waitSignal(wizard.accepted, timeout=5000):
        _click(qtbot, wizard, QWizard.WizardButton.FinishButton)


@pytest.fixture
def new_settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", config_dir=tmp_path / "config")
    assert needs_first_run(settings)
    return settings


@pytest.fixture
def wizard(qtbot, new_settings: Settings) -> Iterator[FirstRunWizard]:
    w = FirstRunWizard(new_settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.runner.wait(15000)


def test_builtin_database_with_demo_data_ends_in_a_working_sqlite_file(
    qtbot, wizard: FirstRunWizard, new_settings: Settings
) -> None:
    assert wizard.currentId() == PAGE_DATABASE and wizard.database_page.builtin.isChecked()
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_MANAGER  # no server page for the built-in database
    _type(qtbot, wizard.manager_page.username, "ines")
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_START
    wizard.demo_size = (15, 30)
    qtbot.mouseClick(wizard.start_page.demo, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SETUP
    _finish(qtbot, wizard)

    result = wizard.setup_result
    assert result is not None and result.demo_loaded and result.created_manager
    path = new_settings.data_dir / "vmi.sqlite3"
    assert result.settings.effective_database_url == f"sqlite:///{path}"
    assert not needs_first_run(new_settings)
    db = create_database(result.settings.effective_database_url)
    try:
        with db.sessions() as session:
            assert session.scalar(select(User.role).where(User.username == "ines")) is Role.PARTS_MANAGER
            assert len(session.scalars(select(Sku.id)).all()) == 15
    finally:
        db.dispose()
    assert "ines is its parts manager" in wizard.setup_page.status.text()
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()  # done: no going back to redo it


def test_start_empty_gives_a_database_with_only_its_parts_manager(qtbot, wizard: FirstRunWizard) -> None:
    _next(qtbot, wizard)
    _type(qtbot, wizard.manager_page.username, "bo")
    _next(qtbot, wizard)
    assert wizard.start_page.empty.isChecked()  # the default
    _next(qtbot, wizard)
    _finish(qtbot, wizard)
    result = wizard.setup_result
    assert result is not None and not result.demo_loaded
    db = create_database(result.settings.effective_database_url)
    try:
        with db.sessions() as session:
            assert session.execute(select(User.username, User.role)).all() == [("bo", Role.PARTS_MANAGER)]
            assert session.scalars(select(Sku.id)).all() == []
    finally:
        db.dispose()


def test_the_manager_defaults_to_the_os_user_and_cannot_be_empty(qtbot, wizard: FirstRunWizard) -> None:
    from vmi_desktop.config import current_os_user

    _next(qtbot, wizard)
    assert wizard.manager_page.username.text() == current_os_user()
    wizard.manager_page.username.clear()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_import_of_master_data_is_offered_and_can_be_withdrawn(qtbot, wizard: FirstRunWizard) -> None:
    assert import_available()  # vmi_desktop.importer is part of this build
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    importer = wizard.start_page.importer
    assert importer.isEnabled() and IMPORT_PENDING_TEXT not in importer.text()
    wizard.start_page.set_import_available(False)  # a build without the importer says why
    assert not importer.isEnabled() and IMPORT_PENDING_TEXT in importer.text()


def test_choosing_import_opens_file_import_on_the_new_window(main_window: MainWindow, qtbot) -> None:
    from vmi_desktop.ui.first_run import open_import_after_setup

    assert open_import_after_setup(main_window)
    dialog = main_window.findChild(QDialog, "importDialog") or next(
        (w for w in main_window.findChildren(QDialog) if w.isVisible()), None
    )
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_a_setup_that_fails_says_why_and_lets_you_go_back(qtbot, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    wizard = FirstRunWizard(Settings(data_dir=blocker / "data", config_dir=tmp_path / "config"))
    qtbot.addWidget(wizard)
    wizard.show()
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: bool(wizard.setup_page.error.text()), timeout=30000)
    assert "Go back to change your answers" in wizard.setup_page.error.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    wizard.runner.wait(15000)


# -- PostgreSQL -------------------------------------------------------------------------------


def _server_url(cluster: PgCluster | str, dbname: str) -> str:
    if isinstance(cluster, str):
        return cluster.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + f"/{dbname}"
    return cluster.url(dbname).replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def empty_pg_database(pg_cluster: PgCluster | str) -> Iterator[str]:
    """A fresh, empty (unmigrated) database on the throwaway cluster; its URL without password."""
    name = f"vmi_wizard_{os.getpid()}_{next(_names)}"
    admin = create_database(_server_url(pg_cluster, "postgres"))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield _server_url(pg_cluster, name)
    admin = create_database(_server_url(pg_cluster, "postgres"))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _who_am_i(url: str) -> str:
    db = create_database(url)
    try:
        with db.engine.connect() as conn:
            return str(conn.scalar(text("SELECT current_user")))
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgresql_choice_tests_the_connection_and_ends_in_a_migrated_database(
    qtbot, wizard: FirstRunWizard, new_settings: Settings, empty_pg_database: str, tmp_path: Path, monkeypatch
) -> None:
    pgpass = tmp_path / "pgpass"
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    qtbot.mouseClick(wizard.database_page.postgres, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SERVER
    page = wizard.server_page
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # not before a working test
    _type(qtbot, page.url, empty_pg_database)
    _type(qtbot, page.password, "typed-pw-77")  # the test cluster trusts loopback; kept in pgpass anyway
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.isComplete() or bool(page.error.text()), timeout=20000)
    assert page.error.text() == ""
    who = _who_am_i(empty_pg_database)
    shown = page.result_label.text()
    assert f"as {who}," in shown and "PostgreSQL" in shown and "create its tables" in shown
    _next(qtbot, wizard)
    # on PostgreSQL the login is the user: the owner's login becomes the first parts manager, nothing to type
    assert wizard.manager_page.username.isReadOnly() and wizard.manager_page.username.text() == who
    _next(qtbot, wizard)
    _next(qtbot, wizard)  # start empty
    _finish(qtbot, wizard)

    result = wizard.setup_result
    assert result is not None and result.created_manager
    saved = read_site_settings(new_settings.config_dir)
    assert saved.database_url.replace("postgresql+psycopg://", "postgresql://") == empty_pg_database
    assert saved.username == ""  # no name to claim: the login says who it is
    assert "typed-pw-77" not in settings_path(new_settings.config_dir).read_text()
    assert pgpass.read_text().strip().endswith(":typed-pw-77")
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600
    db = create_database(result.settings.effective_database_url)
    try:
        with db.sessions() as session:
            assert session.execute(select(User.username, User.role)).all() == [(who, Role.PARTS_MANAGER)]
            assert session.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        db.dispose()
    assert not needs_first_run(new_settings.with_overrides(database_url=saved.database_url))


@pytest.mark.postgres
def test_a_second_workstation_joins_a_set_up_server_as_an_existing_user(
    qtbot, new_settings: Settings, empty_pg_database: str, tmp_path: Path
) -> None:
    from vmi_desktop.first_run import SetupRequest, set_up_database

    set_up_database(
        Settings(data_dir=tmp_path / "first", config_dir=tmp_path / "first"),
        SetupRequest(manager="pm-anna", database_url=empty_pg_database),
    )
    wizard = FirstRunWizard(new_settings)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.mouseClick(wizard.database_page.postgres, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    _type(qtbot, wizard.server_page.url, empty_pg_database)
    qtbot.mouseClick(wizard.server_page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(wizard.server_page.isComplete, timeout=20000)
    assert "already holds VMI Desktop data (1 users)" in wizard.server_page.result_label.text()
    _next(qtbot, wizard)
    who = _who_am_i(empty_pg_database)
    # the login is the user it maps to; no other name can be chosen
    assert wizard.manager_page.username.isReadOnly() and wizard.manager_page.username.text() == who
    assert f"The login {who} is the app user {who}" in wizard.manager_page.explain.text()
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SETUP  # no demo/empty choice for a database that is already set up
    _finish(qtbot, wizard)
    assert wizard.setup_result is not None and not wizard.setup_result.created_manager
    wizard.runner.wait(15000)


def test_a_server_that_does_not_answer_is_reported_and_next_stays_disabled(qtbot, wizard: FirstRunWizard) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    qtbot.mouseClick(wizard.database_page.postgres, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    _type(qtbot, wizard.server_page.url, f"postgresql://nobody@127.0.0.1:{port}/vmi")
    qtbot.mouseClick(wizard.server_page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(wizard.server_page.error.text()), timeout=20000)
    assert wizard.server_page.error.text().startswith(
        f"Could not connect to postgresql+psycopg://nobody@127.0.0.1:{port}"
    )
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_app_shows_the_wizard_on_a_first_start_and_leaves_nothing_when_cancelled(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VMI_DATA_DIR": str(tmp_path / "data"),
        "VMI_SMOKE_QUIT_MS": "0",
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("VMI_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "vmi_desktop"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "vmi-desktop: first-run wizard shown" in done.stderr
    assert not (tmp_path / "data" / "vmi.sqlite3").exists()
