"""file exchange: EDI partner identifiers per vendor, the files exchanged through a folder

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01

Vendors reached by X12, EDIFACT or CSV files get their partner identifiers (ISA qualifier and id,
GS application code; the same ids in EDIFACT's UNB), ours and theirs. ``exchange_files`` records
every file written to or read from a vendor's exchange folder with its content hash and interchange
control number, so that no file is applied twice and a retry rewrites the same interchange.
Interchange control numbers come from ``counters`` (``edi:<vendor id>``), never reused.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VENDOR_COLUMNS = (
    ("edi_our_qualifier", 4, "ZZ"),
    ("edi_our_id", 35, ""),
    ("edi_our_app", 15, ""),
    ("edi_partner_qualifier", 4, "ZZ"),
    ("edi_partner_id", 35, ""),
    ("edi_partner_app", 15, ""),
)


def upgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        for name, length, default in _VENDOR_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=default))
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "exchange_files",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("standard", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("control_number", sa.String(length=35), nullable=False),
        sa.Column("outbox_message_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_exchange_files_vendor_id_vendors"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_exchange_files_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_files")),
    )
    op.create_index(
        "ix_exchange_files_vendor_direction_control", "exchange_files", ["vendor_id", "direction", "control_number"]
    )
    op.create_index("ix_exchange_files_vendor_sha256", "exchange_files", ["vendor_id", "sha256"])
    op.create_index("ix_exchange_files_outbox_message_id", "exchange_files", ["outbox_message_id"])


def downgrade() -> None:
    op.drop_table("exchange_files")
    with op.batch_alter_table("vendors") as batch:
        for name, _length, _default in _VENDOR_COLUMNS:
            batch.drop_column(name)
