"""Partial indexes: the same predicate on both engines, and no PostgreSQL dialect loaded to declare them."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Index
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from vmi_desktop.models import Base
from vmi_desktop.models.base import use_postgresql_options


def _partial_indexes() -> list[Index]:
    return [
        index
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.dialect_options["sqlite"]["where"] is not None
    ]


def test_every_partial_index_has_the_same_predicate_in_postgresql_ddl() -> None:
    indexes = _partial_indexes()
    assert len(indexes) >= 9
    for index in indexes:
        on_sqlite = str(CreateIndex(index).compile(dialect=sqlite.dialect()))
        on_postgresql = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
        predicate = on_sqlite.split(" WHERE ", 1)[1]
        assert on_postgresql.endswith(f" WHERE {predicate}"), index.name


def test_postgresql_options_name_the_sqlite_predicate_once_attached() -> None:
    use_postgresql_options()
    use_postgresql_options()  # idempotent
    for index in _partial_indexes():
        assert index.dialect_kwargs["postgresql_where"] is index.dialect_kwargs["sqlite_where"], index.name


def test_declaring_the_models_does_not_load_the_postgresql_dialect() -> None:
    """On SQLite a start pays for no PostgreSQL dialect (its drivers' modules, asyncpg's included)."""
    code = "import sys, vmi_desktop.models; print(sorted(m for m in sys.modules if 'postgresql' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
