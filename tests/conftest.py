"""Fixtures: a fresh, migrated database per test, on a SQLite file and on PostgreSQL.

Also where the tests that need a piece of the machine (PostgreSQL, a Secret Service daemon, an X
display) are skipped when it is missing, or failed when CI requires every test (``tests/required.py``).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Generator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import func, select, text

from tests.pg import HOW_TO_ENABLE, PgCluster, find_pg_bin, start_cluster
from tests.required import (
    REQUIRED_MARKERS,
    display_missing,
    require_all,
    required_failure,
    secret_service_missing,
    unavailable,
)
from tests.world import World, build_world
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.models import Role
from vmi_desktop.scope import Actor

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property tests are judged on what they find, never on how long an example took on a busy machine.
settings.register_profile("vmi", deadline=None)
settings.load_profile("vmi")

pytest_plugins = ("pytester",)  # tests/unit/test_required_tests.py runs pytest on small test files

_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the PostgreSQL cluster carries the ``postgres`` marker (``-m`` selects them all)."""
    for item in items:
        if "pg_cluster" in getattr(item, "fixturenames", ()) and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A ``keyring_daemon`` or ``xvfb`` test without its daemon or display skips, or fails in CI."""
    if item.get_closest_marker("keyring_daemon") is not None and (reason := secret_service_missing()):
        unavailable(reason)
    if item.get_closest_marker("xvfb") is not None and (reason := display_missing()):
        unavailable(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI, any other skip of a test CI must run (a ``skipif``, a ``pytest.skip`` inside) fails too."""
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and require_all()
        and any(item.get_closest_marker(name) is not None for name in REQUIRED_MARKERS)
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = required_failure(reason.removeprefix("Skipped: "))
    return report


@pytest.fixture(autouse=True)
def _logs_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Log files and crash reports of in-process runs go to a temporary folder, never the user's own."""
    monkeypatch.setenv("VMI_LOG_DIR", str(tmp_path_factory.getbasetemp() / "logs"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = create_database(f"sqlite:///{path}")
    upgrade_database(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster | str]:
    """A PostgreSQL cluster for the session; an external one via VMI_TEST_POSTGRES_URL."""
    external = os.environ.get("VMI_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    if find_pg_bin() is None:
        unavailable(HOW_TO_ENABLE)
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def _admin_url(cluster: PgCluster | str, dbname: str) -> str:
    if isinstance(cluster, str):
        base = cluster.rsplit("/", 1)[0]
        return f"{base}/{dbname}"
    return cluster.url(dbname)


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster | str) -> str:
    """A migrated PostgreSQL template database; each test clones it."""
    admin = create_database(_admin_url(pg_cluster, "postgres"))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP DATABASE IF EXISTS vmi_template"))
        conn.execute(text("CREATE DATABASE vmi_template"))
    admin.dispose()
    db = create_database(_admin_url(pg_cluster, "vmi_template"))
    upgrade_database(db)
    db.dispose()
    return "vmi_template"


def make_sqlite_db(template: Path, tmp_path: Path) -> Database:
    path = tmp_path / f"vmi-{next(_counter)}.sqlite3"
    shutil.copyfile(template, path)
    return create_database(f"sqlite:///{path}")


def make_pg_db(cluster: PgCluster | str, template: str) -> Database:
    name = f"vmi_test_{os.getpid()}_{next(_counter)}"
    admin = create_database(_admin_url(cluster, "postgres"))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {template}'))
    admin.dispose()
    return create_database(_admin_url(cluster, name))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh migrated database: once on a SQLite file, once on PostgreSQL."""
    if request.param == "sqlite":
        database = make_sqlite_db(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        database = make_pg_db(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template"))
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A fresh migrated SQLite file only (for UI and sync tests that need one backend)."""
    database = make_sqlite_db(sqlite_template, tmp_path)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def pg_db(pg_cluster: PgCluster | str, pg_template: str) -> Iterator[Database]:
    """A fresh migrated PostgreSQL database only (concurrency tests)."""
    database = make_pg_db(pg_cluster, pg_template)
    try:
        yield database
    finally:
        database.dispose()


MANAGER = Actor(name="pm", role=Role.PARTS_MANAGER)
LEAD = Actor(name="lead", role=Role.WAREHOUSE_LEAD)


@pytest.fixture
def manager() -> Actor:
    return MANAGER


@pytest.fixture
def lead() -> Actor:
    return LEAD


def D(value: str | int) -> Decimal:
    """Shorthand for Decimal in expectations."""
    return Decimal(str(value))


@pytest.fixture
def world(db: Database) -> World:
    """The shared two-vendor world (``tests.world.build_world``) in this test's database."""
    with db.transaction() as s:
        return build_world(s)


def row_count(db: Database, model: type) -> int:
    """How many rows ``model``'s table holds now (what a refused action must leave unchanged)."""
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)
