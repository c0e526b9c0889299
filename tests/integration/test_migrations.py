"""Alembic owns the schema: from empty, matching the models, upgrading with a backup, refusing newer."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from vmi_desktop.db import Database, DatabaseTooNewError, create_database, migrate
from vmi_desktop.models import Base


def test_migrating_an_empty_database_creates_every_table(tmp_path: Path) -> None:
    db = create_database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    result = migrate.upgrade_database(db)
    assert result.from_revision is None and result.to_revision == migrate.head_revision()
    assert result.backup is None
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.current_revision(db) == migrate.head_revision()


def test_schema_from_migrations_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_sqlite_file_uses_wal_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_newer_than_the_app_is_refused_and_left_alone(sqlite_db: Database) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(DatabaseTooNewError, match="newer version of VMI Desktop") as info:
        migrate.upgrade_database(sqlite_db)
    assert "nothing was changed" in str(info.value)
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"


FUTURE_REVISION = '''
"""test-only second revision"""
import sqlalchemy as sa
from alembic import op

revision = "0002_test"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("test_extra", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("test_extra")
'''


def test_older_database_is_upgraded_after_a_backup_copy(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO locations (code, name, kind, allow_negative_stock, active, version, "
                "updated_at) VALUES ('WH-OLD', 'Old', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
            )
        )
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0002_test.py").write_text(FUTURE_REVISION)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)

    result = migrate.upgrade_database(sqlite_db)

    assert (result.from_revision, result.to_revision) == ("0001", "0002_test")
    assert result.backup is not None and result.backup.exists()
    backup = sqlite3.connect(result.backup)
    try:
        assert backup.execute("SELECT code FROM locations").fetchall() == [("WH-OLD",)]
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    finally:
        backup.close()
    assert "test_extra" in inspect(sqlite_db.engine).get_table_names()


def test_reopening_an_up_to_date_database_changes_nothing(sqlite_db: Database) -> None:
    result = migrate.upgrade_database(sqlite_db)
    assert result.from_revision == result.to_revision and result.backup is None
