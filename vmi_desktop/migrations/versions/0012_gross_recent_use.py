"""recent use copied as the window's gross consumption, so the copy stays an upper bound

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

``supply_agreements.pair_recent_use`` held the net consumption of the window (consumptions less the
reversals that gave some back). The worklist's index trusts it as an upper bound of any later window's
use, and the net is not one: a reversal that leaves the window before a consumption posted after it
raises the later use above the copy, and the pair could be hidden from the worklist and its count.
From this revision the ledger copies the gross consumption (``pair_figures.gross_use``); here the copies
that differ are recomputed: only pairs with a reversal of a consumption inside the current window can
differ (with none, gross and net are the same sum). No schema change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Must equal ``models.catalog.USE_WINDOW_DAYS`` (a migration keeps its own copy of what it relies on).
WINDOW_DAYS = 30


def upgrade() -> None:
    bind = op.get_bind()
    start = datetime.now(UTC).date() - timedelta(days=WINDOW_DAYS)
    since: object = datetime(start.year, start.month, start.day, tzinfo=UTC)
    if bind.dialect.name == "sqlite":  # UTC timestamps are stored as naive ISO text there
        since = f"{start.isoformat()} 00:00:00.000000"
    # the reversals of consumptions in the window (the partial index on reverses_movement_id finds them)
    reversed_pairs = (
        "SELECT r.sku_id, r.location_id FROM stock_movements r WHERE r.reverses_movement_id IS NOT NULL "
        "AND r.kind = 'consumption' AND r.quantity > 0 AND r.occurred_at >= :since"
    )
    op.execute(
        sa.text(
            "UPDATE supply_agreements SET pair_recent_use = COALESCE((SELECT -SUM(m.quantity) FROM stock_movements m "
            "WHERE m.sku_id = supply_agreements.sku_id AND m.location_id = supply_agreements.location_id "
            "AND m.kind = 'consumption' AND m.quantity < 0 AND m.occurred_at >= :since), 0) "
            f"WHERE (sku_id, location_id) IN ({reversed_pairs})"
        ).bindparams(since=since)
    )


def downgrade() -> None:
    """Nothing to undo: a gross copy is as good a bound for the older code (it only offers more candidates)."""
