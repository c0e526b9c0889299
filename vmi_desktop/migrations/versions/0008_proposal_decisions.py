"""threshold proposals keep the parts manager's decision note

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-01

``threshold_proposals.decision_note``: why a proposal was rejected (required) or accepted (optional),
kept on the proposal so that the supplier who made it reads the answer in its workspace (its own
proposals are already readable to its login under the policies of 0005). Added in place on both
databases, with an empty default for the proposals decided or pending before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "threshold_proposals",
        sa.Column("decision_note", sa.String(length=500), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("threshold_proposals", "decision_note")  # SQLite 3.35+: in place
