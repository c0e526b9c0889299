"""sync hardening: event ids of any length, longer feed cursors

Revision ID: 0003
Revises: 0006
Create Date: 2026-12-02

Inbound event ids were cut at 100 characters, so a second id sharing its first 100 characters was
taken for a duplicate and lost. ``inbox_events.event_id`` is now TEXT (the id in full) and events
are deduplicated by ``event_key``, the sha256 of the id (64 hex characters), unique per vendor. A
unique index on the TEXT id itself was measured and refused: PostgreSQL's btree cannot index an
entry over 2704 bytes, so a supplier's 10,000-character id would fail the insert (and the page).
Existing rows get the key of the id as stored (ids stored cut at 100 characters keep their cut
form; no id is longer than that today).

``sync_state.cursor`` becomes TEXT: a supplier's opaque cursor may be longer than 200 characters
(the client caps it at 2000).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def _key(event_id: str) -> str:
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("inbox_events") as batch:
        batch.add_column(sa.Column("event_key", sa.String(length=64), nullable=True))
        batch.alter_column("event_id", type_=sa.Text(), existing_type=sa.String(length=100), existing_nullable=False)
    bind = op.get_bind()
    table = sa.table("inbox_events", sa.column("id", sa.Integer), sa.column("event_id"), sa.column("event_key"))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.event_id).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            table.update().where(table.c.id == sa.bindparam("row_id")).values(event_key=sa.bindparam("key")),
            [{"row_id": row_id, "key": _key(event_id)} for row_id, event_id in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table("inbox_events") as batch:
        batch.alter_column("event_key", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_inbox_events_vendor_id_event_id", type_="unique")
        batch.create_unique_constraint("uq_inbox_events_vendor_id_event_key", ["vendor_id", "event_key"])
    with op.batch_alter_table("sync_state") as batch:
        batch.alter_column("cursor", type_=sa.Text(), existing_type=sa.String(length=200), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.alter_column("cursor", type_=sa.String(length=200), existing_type=sa.Text(), existing_nullable=True)
    with op.batch_alter_table("inbox_events") as batch:
        batch.drop_constraint("uq_inbox_events_vendor_id_event_key", type_="unique")
        batch.alter_column("event_id", type_=sa.String(length=100), existing_type=sa.Text(), existing_nullable=False)
        batch.create_unique_constraint("uq_inbox_events_vendor_id_event_id", ["vendor_id", "event_id"])
        batch.drop_column("event_key")
