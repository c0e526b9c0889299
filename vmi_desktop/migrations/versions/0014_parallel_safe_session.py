"""the session functions the policies call are parallel safe

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Every supplier policy (migration 0005) compares rows with ``vmi_session_vendor()`` or
``vmi_session_role()``. They were created without a parallel label, so PostgreSQL took them as
PARALLEL UNSAFE, and a query naming an unsafe function anywhere is planned without parallel workers:
on a supplier's own login every statement ran on one process, where the same statement in the parts
manager's preview of that supplier could use two workers. The scans that gain are those of tables whose
policy compares a column (agreements, orders, alerts, the audit trail); a policy with a correlated EXISTS
(stock, movements, SKUs, order lines) keeps its scan in the leader either way. The busiest supplier of the
benchmark world (100,000 pairs, 400,000 movements in the year), 3 runs each interleaved on one login: its
workspace's figures 8.0 -> 7.3 s median, its Stock page with its count 2.16 -> 2.10 s
(``bench/rls.py --database-url``). The rest of what its own login costs over the preview (7.3 s against
2.6 s) is the per-row policies' probes of the agreements.

They are safe: they only read ``users`` by ``session_user``, and a parallel worker takes the leader's
session user before it runs anything (the tests check that a supplier's parallel scans return
exactly its own rows). PostgreSQL only; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The functions the policies call (all without arguments).
SESSION_FUNCTIONS = ("vmi_session_user", "vmi_session_role", "vmi_session_vendor")


def _label(label: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in SESSION_FUNCTIONS:
        op.execute(f"ALTER FUNCTION public.{name}() PARALLEL {label}")


def upgrade() -> None:
    _label("SAFE")


def downgrade() -> None:
    _label("UNSAFE")
