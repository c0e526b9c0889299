"""replenishment worklist: snoozes, the pair figures on the agreements and their indexes

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-01

- ``pair_snoozes``: a SKU x location put aside by the parts manager until a date, with a reason
  (off the worklist, skipped by the reorder trigger, back by itself on that date).
- ``supply_agreements.pair_on_hand / pair_recent_use / pair_used_at``: the pair's on hand, its
  consumption of the 30 days before its last posting and its newest consumption, written by the
  ledger with every posting from now on (``replenishment.pair_figures``), filled here from the
  ledger for the existing rows.
- two indexes over the agreements, by SKU and by location, holding the worklist's
  candidate test ``30 * (pair_on_hand - min_qty) - pair_recent_use * lead_time_days`` and covering
  what the worklist's key query reads; a partial index of the open order lines by SKU.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As ``models.catalog.REACH_SQL`` at this revision (the query must spell it alike to use the index).
REACH_SQL = "30 * (pair_on_hand - min_qty) - pair_recent_use * lead_time_days"
#: What the worklist's key query reads after the order columns (the indexes cover it).
COVERED = [
    "pair_on_hand",
    "vendor_id",
    "mode",
    "min_qty",
    "lead_time_days",
    "pair_recent_use",
    "pair_used_at",
    "is_primary",
    "active",
]
INDEXES = {
    "ix_supply_agreements_worklist_sku": ["sku_id", "location_id"],
    "ix_supply_agreements_worklist_location": ["location_id", "sku_id"],
}


def upgrade() -> None:
    op.create_table(
        "pair_snoozes",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("snoozed_by", sa.String(length=100), nullable=False),
        sa.Column("snoozed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(reason) > 0", name=op.f("ck_pair_snoozes_reason_not_empty")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_pair_snoozes_location_id_locations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_pair_snoozes_sku_id_skus"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sku_id", "location_id", name=op.f("pk_pair_snoozes")),
    )
    quantity = sa.Numeric(precision=18, scale=3)
    op.add_column("supply_agreements", sa.Column("pair_on_hand", quantity, server_default="0", nullable=False))
    op.add_column("supply_agreements", sa.Column("pair_recent_use", quantity, server_default="0", nullable=False))
    op.add_column("supply_agreements", sa.Column("pair_used_at", sa.DateTime(timezone=True), nullable=True))
    _fill_pair_figures()
    for name, columns in INDEXES.items():
        op.create_index(
            name,
            "supply_agreements",
            [*columns, sa.text(f"({REACH_SQL})"), *COVERED],
            unique=False,
        )
    _grant_to_app_roles()
    op.create_index(
        "ix_purchase_order_lines_open_sku",
        "purchase_order_lines",
        ["sku_id", "purchase_order_id"],
        unique=False,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


#: PostgreSQL databases with per-person logins (group roles from the identity migration): a warehouse
#: lead's postings write the pair figures, and the parts manager keeps the snoozes.
GRANTS = (
    ("vmi_lead", "UPDATE (pair_on_hand, pair_recent_use, pair_used_at) ON public.supply_agreements"),
    ("vmi_lead", "SELECT ON public.pair_snoozes"),
    ("vmi_manager", "SELECT, INSERT, UPDATE, DELETE ON public.pair_snoozes"),
)


def _grant_to_app_roles() -> None:
    """The grants above, for those group roles that exist (a database without them needs none)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for role, what in GRANTS:
        op.execute(
            f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "
            f"THEN GRANT {what} TO {role}; END IF; END $$"
        )


def _fill_pair_figures() -> None:
    """The copies from the ledger, in one statement (quantities compare and sum as stored on each engine)."""
    bind = op.get_bind()
    start = datetime.now(UTC).date() - timedelta(days=30)
    since: object = datetime(start.year, start.month, start.day, tzinfo=UTC)
    if bind.dialect.name == "sqlite":  # UTC timestamps are stored as naive ISO text there
        since = f"{start.isoformat()} 00:00:00.000000"
    pair = (
        "m.sku_id = supply_agreements.sku_id AND m.location_id = supply_agreements.location_id "
        "AND m.kind = 'consumption'"
    )
    op.execute(
        sa.text(
            "UPDATE supply_agreements SET "
            "pair_on_hand = COALESCE((SELECT s.on_hand FROM stock_levels s WHERE s.sku_id = supply_agreements.sku_id "
            "AND s.location_id = supply_agreements.location_id), 0), "
            f"pair_recent_use = COALESCE((SELECT -SUM(m.quantity) FROM stock_movements m WHERE {pair} "
            "AND m.occurred_at >= :since), 0), "
            f"pair_used_at = (SELECT MAX(m.occurred_at) FROM stock_movements m WHERE {pair})"
        ).bindparams(since=since)
    )


def downgrade() -> None:
    op.drop_index("ix_purchase_order_lines_open_sku", table_name="purchase_order_lines")
    for name in INDEXES:
        op.drop_index(name, table_name="supply_agreements")
    with op.batch_alter_table("supply_agreements") as batch:
        batch.drop_column("pair_used_at")
        batch.drop_column("pair_recent_use")
        batch.drop_column("pair_on_hand")
    op.drop_table("pair_snoozes")
