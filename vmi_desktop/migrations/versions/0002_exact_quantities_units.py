"""exact quantities on SQLite, units of measure

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

SQLite's NUMERIC affinity kept fractional quantities as binary floats (0.1 + 0.2 stored as
0.30000000000000004). From this revision on, every quantity and money column of a SQLite database
holds integer units of 10^-scale (thousandths, ten-thousandths for money); the declared types stay
NUMERIC(p, s), whose affinity keeps integers as INTEGER. Existing values are rounded to their scale,
which is exact for everything the app could have stored (input was validated to 3 or 4 decimals).
PostgreSQL's NUMERIC was exact already: only the units table is added there.

The units table lists whole units (never a fraction) and measured ones; units named by existing SKUs
that are not in the standard list are added as whole units when none of their quantities has a
fraction, else as measured.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, scale) of every exact decimal column at this revision.
EXACT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("skus", "unit_cost", 4),
    ("stock_levels", "on_hand", 3),
    ("supply_agreements", "min_qty", 3),
    ("supply_agreements", "max_qty", 3),
    ("supply_agreements", "pack_size", 3),
    ("supply_agreements", "moq", 3),
    ("supply_agreements", "unit_price", 4),
    ("purchase_order_lines", "quantity_ordered", 3),
    ("purchase_order_lines", "quantity_acknowledged", 3),
    ("purchase_order_lines", "quantity_shipped", 3),
    ("purchase_order_lines", "quantity_received", 3),
    ("purchase_order_lines", "unit_price", 4),
    ("threshold_proposals", "proposed_min", 3),
    ("threshold_proposals", "proposed_max", 3),
    ("stock_movements", "quantity", 3),
    ("stock_movements", "on_hand_after", 3),
    ("cycle_counts", "counted_qty", 3),
    ("cycle_counts", "system_qty", 3),
)

WHOLE_UNITS = {
    "EA": "each",
    "PCS": "pieces",
    "PC": "piece",
    "SET": "set",
    "KIT": "kit",
    "PR": "pair",
    "PK": "pack",
    "BX": "box",
    "CS": "case",
    "CT": "carton",
    "BG": "bag",
    "RL": "roll",
    "DR": "drum",
    "CAN": "can",
    "TB": "tube",
    "DZ": "dozen",
}
MEASURED_UNITS = {
    "L": "litre",
    "ML": "millilitre",
    "M": "metre",
    "CM": "centimetre",
    "MM": "millimetre",
    "KM": "kilometre",
    "KG": "kilogram",
    "G": "gram",
    "T": "tonne",
    "M2": "square metre",
    "M3": "cubic metre",
    "FT": "foot",
    "IN": "inch",
    "YD": "yard",
    "LB": "pound",
    "OZ": "ounce",
    "GAL": "gallon",
    "H": "hour",
}


def upgrade() -> None:
    units = op.create_table(
        "units_of_measure",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("whole", sa.Boolean(), nullable=False),
        sa.CheckConstraint("length(code) > 0", name=op.f("ck_units_of_measure_code_not_empty")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units_of_measure")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _scale_sqlite_values()
    rows = [{"code": c, "name": n, "whole": True} for c, n in WHOLE_UNITS.items()]
    rows += [{"code": c, "name": n, "whole": False} for c, n in MEASURED_UNITS.items()]
    op.bulk_insert(units, rows)
    known = set(WHOLE_UNITS) | set(MEASURED_UNITS)
    used = {row[0] for row in bind.execute(sa.text("SELECT DISTINCT uom FROM skus"))}
    for code in sorted(used - known):
        # Compared as stored at this revision: thousandths on SQLite (scaled above), NUMERIC on PostgreSQL.
        unit = 1000 if bind.dialect.name == "sqlite" else 1
        fractional = bind.execute(
            sa.text(
                "SELECT 1 FROM stock_levels l JOIN skus s ON s.id = l.sku_id "
                "WHERE s.uom = :code AND l.on_hand % :unit <> 0 LIMIT 1"
            ).bindparams(code=code, unit=unit)
            if bind.dialect.name == "sqlite"
            else sa.text(
                "SELECT 1 FROM stock_levels l JOIN skus s ON s.id = l.sku_id "
                "WHERE s.uom = :code AND l.on_hand <> trunc(l.on_hand) LIMIT 1"
            ).bindparams(code=code)
        ).first()
        op.bulk_insert(units, [{"code": code, "name": code, "whole": fractional is None}])


def _scaled(column: str, factor: int) -> str:
    return (
        f"{column} = CASE typeof({column}) "
        f"WHEN 'integer' THEN {column} * {factor} "
        f"WHEN 'real' THEN CAST(round({column} * {factor}.0) AS INTEGER) "
        f"WHEN 'text' THEN CAST(round(CAST({column} AS REAL) * {factor}.0) AS INTEGER) "
        f"ELSE {column} END"
    )


def _scale_sqlite_values() -> None:
    """Every exact column to integer units of its scale (the ledger's guard is lifted meanwhile).

    All columns of a table move in one UPDATE: a CHECK such as ``min_qty <= max_qty`` compares
    two of them, and must never see one scaled and the other not.
    """
    op.execute("DROP TRIGGER IF EXISTS stock_movements_no_update")
    by_table: dict[str, list[str]] = {}
    for table, column, scale in EXACT_COLUMNS:
        by_table.setdefault(table, []).append(_scaled(column, 10**scale))
    for table, assignments in by_table.items():
        op.execute(f"UPDATE {table} SET {', '.join(assignments)}")
    op.execute(
        "CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements "
        "BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS stock_movements_no_update")
        by_table: dict[str, list[str]] = {}
        for table, column, scale in EXACT_COLUMNS:
            by_table.setdefault(table, []).append(f"{column} = {column} / {10**scale}.0")
        for table, assignments in by_table.items():
            op.execute(f"UPDATE {table} SET {', '.join(assignments)}")
        op.execute(
            "CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements "
            "BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END"
        )
    op.drop_table("units_of_measure")
