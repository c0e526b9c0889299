"""Alembic environment: runs on a connection handed in by ``vmi_desktop.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

import vmi_desktop.models  # noqa: F401  (registers every table)
from vmi_desktop.db import rls
from vmi_desktop.models.base import Base, use_postgresql_options

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        use_postgresql_options()  # the models' partial indexes, for autogenerate
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        # PostgreSQL: the migrating login acts as the schema owner only inside this transaction
        state = rls.prepare_migration(connection)
        context.run_migrations()
        rls.finish_migration(connection, state)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
