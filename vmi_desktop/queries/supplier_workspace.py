"""What a supplier's workspace reads besides its orders and pairs: its scorecard, its pairs' health, its proposals.

One read for the three, off the UI thread: the health of a supplier's pairs aggregates a year of their stock
movements, which for a supplier with 200,000 pairs (the benchmark world) takes several seconds, and the window
must not wait for it. The workspace shows the worst pairs (slow movers first, then the largest excess, then by
part number), sorted and cut by the database; the export writes every pair, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from vmi_desktop.models import utcnow
from vmi_desktop.queries.proposals import ProposalOutcome, recent_proposals
from vmi_desktop.replenishment.metrics import SkuMetrics, VendorMetrics, sku_metrics, sku_metrics_count, vendor_metrics
from vmi_desktop.scope import Actor

#: The period of a supplier's scorecard and of its pairs' health.
SCORECARD_DAYS = 365


@dataclass(frozen=True)
class WorkspaceSummary:
    """A supplier's scorecard (None before its first order), its worst pairs' health (of ``pairs`` in all),
    its proposals."""

    metrics: VendorMetrics | None
    health: list[SkuMetrics]
    pairs: int
    proposals: list[ProposalOutcome]


def workspace_summary(
    session: Session, actor: Actor, *, shown: int | None, days: int = SCORECARD_DAYS
) -> WorkspaceSummary:
    """The scorecard, the ``shown`` worst pairs' health (None: every pair) and the proposals of the supplier
    ``actor`` (scoped by ``actor`` throughout)."""
    since = (utcnow() - timedelta(days=days)).date()
    cards = vendor_metrics(session, actor, since=since)
    health = sku_metrics(session, actor, since=since, worst_first=True, limit=shown)
    pairs = sku_metrics_count(session, actor) if shown is not None and len(health) >= shown else len(health)
    return WorkspaceSummary(cards[0] if cards else None, health, pairs, recent_proposals(session, actor))
