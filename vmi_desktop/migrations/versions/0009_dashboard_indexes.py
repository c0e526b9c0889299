"""indexes for the dashboard's health figures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The dashboard counted pairs below min, stock-outs and pairs over max, and listed the worst pairs below
min, by joining every primary agreement to its stock level (a million rows read per figure), and scored
the suppliers by looking up each due order line's receipts in the ledger's table. Three indexes answer
those from ranges instead (``queries.dashboard``):

- ``ix_supply_agreements_short``: the primary agreements by ``pair_on_hand - min_qty`` (the ledger's exact
  copy of on hand, ``replenishment.pair_figures``), covering what the count of stock-outs and the list
  below min read: both are a range at the start of the index;
- ``ix_supply_agreements_over_max``: the primary agreements by ``pair_on_hand - max_qty``;
- ``ix_stock_movements_receipts``: the movements that belong to an order line (receipts, about 1 % of
  the ledger), covering what the fill rate reads of them;
- ``ix_stock_movements_pair_time`` gains ``kind`` and ``quantity``: a pair's consumption in a window (the
  worklist's exact test of each candidate, its count on the dashboard, the ledger's copy of the recent
  use) is then read from the index alone, not from a row of the ledger per movement.

Indexes only, on both engines: nothing to grant, no table added.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As ``models.catalog.PRIMARY_SQL`` (the queries spell it alike, so the planner matches the indexes).
PRIMARY = "is_primary AND active"
LINKED = "purchase_order_line_id IS NOT NULL"


PAIR_TIME = ["sku_id", "location_id", "occurred_at"]


def upgrade() -> None:
    op.drop_index("ix_stock_movements_pair_time", table_name="stock_movements")
    op.create_index("ix_stock_movements_pair_time", "stock_movements", [*PAIR_TIME, "kind", "quantity"])
    op.create_index(
        "ix_supply_agreements_short",
        "supply_agreements",
        [sa.text("(pair_on_hand - min_qty)"), "pair_on_hand", "sku_id", "location_id", "min_qty", "max_qty"],
        sqlite_where=sa.text(PRIMARY),
        postgresql_where=sa.text(PRIMARY),
    )
    op.create_index(
        "ix_supply_agreements_over_max",
        "supply_agreements",
        [sa.text("(pair_on_hand - max_qty)")],
        sqlite_where=sa.text(PRIMARY),
        postgresql_where=sa.text(PRIMARY),
    )
    op.create_index(
        "ix_stock_movements_receipts",
        "stock_movements",
        ["purchase_order_line_id", "kind", "occurred_at", "quantity"],
        sqlite_where=sa.text(LINKED),
        postgresql_where=sa.text(LINKED),
    )


def downgrade() -> None:
    op.drop_index("ix_stock_movements_pair_time", table_name="stock_movements")
    op.create_index("ix_stock_movements_pair_time", "stock_movements", PAIR_TIME)
    op.drop_index("ix_stock_movements_receipts", table_name="stock_movements")
    op.drop_index("ix_supply_agreements_over_max", table_name="supply_agreements")
    op.drop_index("ix_supply_agreements_short", table_name="supply_agreements")
