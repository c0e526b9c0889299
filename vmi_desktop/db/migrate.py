"""Bring a database to the app's schema on start, safely.

An older database is upgraded (a SQLite file is first copied aside with the
SQLite backup API); a newer one is refused, since this version of the app
does not know its schema and could damage it.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from vmi_desktop.db import rls
from vmi_desktop.db.engine import Database
from vmi_desktop.db.errors import DatabaseError, DatabaseTooNewError, DbProblem

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(db: Database) -> Config:
    """An Alembic config pointing at the packaged scripts and this database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of the app knows."""
    script = ScriptDirectory.from_config(_bare_config())
    head = script.get_current_head()
    assert head is not None
    return head


def _bare_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def current_revision(db: Database) -> str | None:
    """The schema revision stamped in the database, None for an empty database."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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
    script = ScriptDirectory.from_config(_bare_config())
    head = head_revision()
    current = current_revision(db)
    if current == head:
        return MigrationResult(current, head, None)
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
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.info("database migrated from %s to %s", current, head)
    return MigrationResult(current, head, backup)
