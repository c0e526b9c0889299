"""Bring a database to the app's schema on start, safely.

An older database is upgraded (a SQLite file is first copied aside with the
SQLite backup API); a newer one is refused, since this version of the app
does not know its schema and could damage it.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from vmi_desktop.db import rls
from vmi_desktop.db.engine import Database
from vmi_desktop.db.errors import DatabaseError, DatabaseTooNewError, DbProblem

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(db: Database) -> Config:
    """An Alembic config pointing at the packaged scripts and this database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(?:None|[\"']([^\"']+)[\"'])", re.M)


def head_revision() -> str:
    """The newest schema revision this version of the app knows.

    Read from the revision files' ``revision`` / ``down_revision`` lines without importing Alembic
    (a start on an up-to-date database never needs it); a test compares it with Alembic's answer.
    """
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is not None:
            revisions[rev.group(1)] = down.group(1) if down is not None else None
    referenced = {down for down in revisions.values() if down is not None}
    heads = sorted(set(revisions) - referenced)
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads ({', '.join(heads) or 'none'}); expected one")
    return heads[0]


def _bare_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def current_revision(db: Database) -> str | None:
    """The schema revision stamped in the database, None for an empty database."""
    try:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if db.is_sqlite and "no such table" in str(exc.orig):
            return None
        if db.is_postgresql and getattr(exc.orig, "sqlstate", None) == "42P01":  # undefined_table
            return None
        raise


@dataclass(frozen=True)
class MigrationResult:
    """What ``upgrade_database`` did, for the log and the status bar."""

    from_revision: str | None
    to_revision: str
    backup: Path | None


def backup_sqlite(db: Database, revision: str | None) -> Path | None:
    """Copy a SQLite file aside (consistent even under WAL) before changing its schema."""
    path = db.sqlite_path
    if path is None or not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.{revision or 'empty'}.{stamp}.bak{path.suffix}")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    log.info("backed up %s to %s before migrating", path, target)
    return target


def upgrade_database(db: Database) -> MigrationResult:
    """Upgrade ``db`` to the head revision; refuse a database newer than this app."""
    head = head_revision()
    current = current_revision(db)
    if current == head:
        return MigrationResult(current, head, None)
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_bare_config())
    if current is not None:
        try:
            script.get_revision(current)
        except Exception as exc:
            raise DatabaseTooNewError(
                f"This database ({db.display_name()}) was written by a newer version of VMI Desktop "
                f"(schema {current}; this version knows up to {head}). Install the newer version "
                "or open another database; nothing was changed."
            ) from exc
    if db.is_postgresql:
        with db.engine.connect() as conn:
            allowed, owner = rls.may_upgrade(conn), rls.database_owner(conn)
        if not allowed:
            raise DatabaseError(
                f"The database {db.display_name()} is at schema {current or 'empty'} and this version of VMI Desktop "
                f"needs {head}. Only its owner ({owner}) or a superuser changes the schema: ask them to run "
                "`vmi-desktop db upgrade`. Nothing was changed.",
                DbProblem.PERMISSION,
            )
    backup = backup_sqlite(db, current) if current is not None else None
    cfg = alembic_config(db)
    engine = _transactional_sqlite_engine(db) if db.is_sqlite else db.engine
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if engine is not db.engine:
            engine.dispose()
    log.info("database migrated from %s to %s", current, head)
    return MigrationResult(current, head, backup)


def _transactional_sqlite_engine(db: Database) -> Engine:
    """An engine whose transactions cover DDL too, so a failed upgrade leaves the file as it was.

    pysqlite starts a transaction only before DML by itself: a migration failing halfway would
    keep the tables it already created. Here the driver's own transaction handling is off and
    SQLAlchemy emits BEGIN (the recipe from SQLAlchemy's pysqlite documentation).
    """
    engine = create_engine(db.url, connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=10000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine
