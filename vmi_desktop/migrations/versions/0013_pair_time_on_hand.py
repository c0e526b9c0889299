"""the ledger's pair index covers on hand after each movement

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

The health of a supplier's pairs (its workspace, its export, ``metrics skus``) reads a year of each
pair's movements: consumption, stock-outs (a movement that left nothing on hand) and the average on hand
after each movement. ``ix_stock_movements_pair_time`` covered the kind and quantity but not
``on_hand_after``, so every movement of the year was also read from the table: for the largest supplier
of the benchmark world (198,232 pairs, 897,000 movements in a year) 12.8 s, most of it random reads.
With the column in the index, and the period read pair by pair (``replenishment.metrics.sku_metrics``),
the figures come from the index alone, a range per pair: the movements' part 10.4 s -> 1.5 s, the
workspace's 500 worst pairs 12.8 s -> 2.8-4.1 s on SQLite and 7.9 s -> 3.5 s on PostgreSQL.

The index is rebuilt: on a 10,000,000-movement ledger about 30 s on SQLite. Index only, on both
engines: nothing to grant, no table added.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ["sku_id", "location_id", "occurred_at", "kind", "quantity"]


def upgrade() -> None:
    op.drop_index("ix_stock_movements_pair_time", table_name="stock_movements")
    op.create_index("ix_stock_movements_pair_time", "stock_movements", [*BEFORE, "on_hand_after"])


def downgrade() -> None:
    op.drop_index("ix_stock_movements_pair_time", table_name="stock_movements")
    op.create_index("ix_stock_movements_pair_time", "stock_movements", BEFORE)
