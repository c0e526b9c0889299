"""stock forms: a reversal references the movement it counter-posts

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-10

The ledger stays append-only: a posting made in error is undone by a counter-posting of the same kind
and the opposite quantity, which names the original in ``reverses_movement_id``. The partial unique
index makes a second reversal of the same movement impossible, whatever runs beside it.

A plain nullable column, added in place on both databases (``ALTER TABLE ... ADD COLUMN``): a batch
rebuild on SQLite would copy the whole ledger and drop the triggers that keep it append-only. There is
no foreign key (SQLite cannot add a named one in place); the ledger checks the original exists, and
movements are never deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("reverses_movement_id IS NOT NULL")


def upgrade() -> None:
    column_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("stock_movements", sa.Column("reverses_movement_id", column_type, nullable=True))
    op.create_index(
        "uq_stock_movements_reverses",
        "stock_movements",
        ["reverses_movement_id"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_stock_movements_reverses", table_name="stock_movements")
    op.drop_column("stock_movements", "reverses_movement_id")  # SQLite 3.35+: in place, triggers kept
