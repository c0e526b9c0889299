"""scope version: a counter every change of the vendors' scope moves, for the send-time check

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

- ``scope_version``: one row (id 1) whose ``version`` moves forward whenever anything the send-time
  scope check depends on changes: an agreement's vendor, SKU, location or active flag, an agreement
  deleted, a SKU's part number or a location's code changed, a SKU or location deleted. Database
  triggers move it, so that no writer can forget (commands, imports, bulk statements, the CLI,
  another program): on SQLite one step per changed row (the ``WHEN`` clause skips rows whose scope
  columns did not change), on PostgreSQL one step per statement through a security-definer function
  (whoever writes, the counter row is reachable; the search_path is pinned).
- ``outbox_messages.scope_version``: the counter as the stock or usage report was read from the
  agreements (read before the report's lines). A message whose version is still the current one
  cannot hold a line that left the vendor's scope, so sending it needs no per-line lookup; any other
  (or none: messages queued before this revision) is checked line by line as before.

SQLite drops a table's triggers when a batch migration rebuilds that table: a later migration that
rebuilds ``supply_agreements``, ``skus`` or ``locations`` must create these triggers again
(``tests/integration/test_scope_version.py`` checks that they exist at the head).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE scope_version SET version = version + 1 WHERE id = 1"
#: table -> the columns the send-time check reads of it (an UPDATE changing any of them moves the counter).
WATCHED = {
    "supply_agreements": ("vendor_id", "sku_id", "location_id", "active"),
    "skus": ("part_number",),
    "locations": ("code",),
}
FUNCTION = "vmi_bump_scope_version"


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, columns in WATCHED.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        statements.append(
            f"CREATE TRIGGER trg_{table}_scope_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN {changed} BEGIN {BUMP}; END"
        )
        statements.append(f"CREATE TRIGGER trg_{table}_scope_delete AFTER DELETE ON {table} BEGIN {BUMP}; END")
    return statements


def _postgresql_triggers() -> list[str]:
    statements = [
        f"CREATE FUNCTION public.{FUNCTION}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        f"SET search_path = pg_catalog, public AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
    ]
    for table, columns in WATCHED.items():
        statements.append(
            f"CREATE TRIGGER trg_{table}_scope_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION public.{FUNCTION}()"
        )
        statements.append(
            f"CREATE TRIGGER trg_{table}_scope_delete AFTER DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION public.{FUNCTION}()"
        )
    return statements


def upgrade() -> None:
    op.create_table(
        "scope_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_scope_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_version")),
    )
    op.execute("INSERT INTO scope_version (id, version) VALUES (1, 1)")
    op.add_column("outbox_messages", sa.Column("scope_version", sa.BigInteger(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for kind in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_scope_{kind}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute(f"DROP FUNCTION IF EXISTS public.{FUNCTION}()")
    op.drop_column("outbox_messages", "scope_version")  # SQLite 3.35+: in place
    op.drop_table("scope_version")
