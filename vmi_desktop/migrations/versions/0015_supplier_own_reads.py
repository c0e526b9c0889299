"""a supplier's own login reads its pairs' stock and movements without a policy probe per row

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

The supplier policies of ``stock_levels`` and ``stock_movements`` (migration 0005) test each row with a
correlated EXISTS on the agreements: right for the few rows most statements read, but the health of a
supplier's pairs (its workspace, its export, ``metrics skus``) reads every stock row and a year of
movements of every pair it supplies, and paid one probe per row. The busiest supplier of the benchmark
world (100,000 pairs, 400,080 movements in the year), on its own login: its movements 2.9-3.0 s read
from the table, 0.53-0.73 s from the function; its stock rows about 2 s, 0.5 s; its workspace's figures
7.3-8.0 s -> 2.7-3.3 s, where the parts manager's preview of the same supplier takes 2.7 s
(``bench/rls.py --database-url``, the same rows in both).

Two functions return exactly the rows those policies let the caller read, for the pairs of its vendor's
active agreements (the policies' own test: ``vendor_id = vmi_session_vendor() AND active``), and only the
columns a supplier may read; for any other login ``vmi_session_vendor()`` is NULL and they return
nothing. They run as ``vmi_owner`` with a pinned ``search_path``; only ``vmi_supplier`` may call them.
The app calls them only when the session is that supplier's login (``db.rls.reads_as_supplier``); what is
summed from the rows stays in ``replenishment.metrics``. plpgsql with ``EXECUTE``: each call is planned
for its own period (a cached generic plan read the whole year of every vendor's movements by time, 18 s).
PARALLEL RESTRICTED: a function scan is not split among workers, so under a parallel join each worker
would run the whole function again (three times the work, 7 s). PostgreSQL only.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = "vmi_owner"
SUPPLIER = "vmi_supplier"

#: name, arguments, returned columns, the query (run with the arguments and then the session's vendor).
FUNCTIONS = (
    (
        "vmi_own_movements",
        "p_start timestamptz, p_end timestamptz",
        "sku_id integer, location_id integer, kind varchar, quantity numeric, on_hand_after numeric",
        "SELECT m.sku_id, m.location_id, m.kind::varchar, m.quantity::numeric, "
        "m.on_hand_after::numeric FROM public.supply_agreements a JOIN public.stock_movements m "
        "ON m.sku_id = a.sku_id AND m.location_id = a.location_id AND m.occurred_at >= $1 AND m.occurred_at < $2 "
        "WHERE a.vendor_id = $3 AND a.active",
        "USING p_start, p_end, public.vmi_session_vendor()",
    ),
    (
        "vmi_own_stock_levels",
        "",
        "sku_id integer, location_id integer, on_hand numeric",
        "SELECT s.sku_id, s.location_id, s.on_hand::numeric FROM public.supply_agreements a "
        "JOIN public.stock_levels s ON s.sku_id = a.sku_id AND s.location_id = a.location_id "
        "WHERE a.vendor_id = $1 AND a.active",
        "USING public.vmi_session_vendor()",
    ),
)


def _types(arguments: str) -> str:
    return ", ".join(part.split()[-1] for part in arguments.split(",")) if arguments else ""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, arguments, columns, query, using in FUNCTIONS:
        body = query.replace("'", "''")
        op.execute(
            f"CREATE FUNCTION public.{name}({arguments}) RETURNS TABLE ({columns}) LANGUAGE plpgsql STABLE "
            f"PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$ "
            f"BEGIN RETURN QUERY EXECUTE '{body}' {using}; END $fn$"
        )
        signature = f"public.{name}({_types(arguments)})"
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {OWNER}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {SUPPLIER}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, arguments, *_rest in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS public.{name}({_types(arguments)})")
