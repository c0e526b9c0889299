"""worklist filters and search: the candidates by vendor and by location, SKUs by part number

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

- two partial indexes over the agreements holding only the worklist's candidates (the pair-figure
  test ``30 * (pair_on_hand - min_qty) - pair_recent_use * lead_time_days <= 0``, a few % of the
  pairs), one led by the vendor and one by the location: a page filtered by either reads those
  candidates instead of walking every SKU in part-number order past the pairs the filter leaves
  out. Each carries an always-true ``<column> IS NOT NULL`` in its WHERE, so that only a query that
  names it (``queries.worklist``) uses it and every other plan stays as it was.
- ``ix_skus_search``: SKUs by part number with their active flag, criticality and description, so
  that the worklist's search tests the text on the index entry instead of reading each SKU row.

Indexes only: nothing is rewritten, and the new indexes get their statistics at the next start
(``queries.maintenance.statistics_are_stale`` reports an index of the UI's tables without them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As ``models.catalog.REACH_SQL`` at this revision (the query must spell it alike to use the index).
REACH_SQL = "30 * (pair_on_hand - min_qty) - pair_recent_use * lead_time_days"
WHERE = "is_primary AND active AND {column} IS NOT NULL AND ({reach}) <= 0"
COVERED = ["mode", "pair_on_hand", "min_qty", "pair_recent_use", "lead_time_days", "is_primary", "active"]
CANDIDATES = {
    "ix_supply_agreements_candidates_vendor": ["vendor_id", "sku_id", "location_id"],
    "ix_supply_agreements_candidates_location": ["location_id", "sku_id", "vendor_id"],
}


def upgrade() -> None:
    for name, columns in CANDIDATES.items():
        where = sa.text(WHERE.format(column=columns[0], reach=REACH_SQL))
        op.create_index(
            name, "supply_agreements", [*columns, *COVERED], unique=False, sqlite_where=where, postgresql_where=where
        )
    op.create_index("ix_skus_search", "skus", ["part_number", "active", "criticality", "description"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_skus_search", table_name="skus")
    for name in CANDIDATES:
        op.drop_index(name, table_name="supply_agreements")
