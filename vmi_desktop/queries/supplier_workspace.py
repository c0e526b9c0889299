"""What a supplier's workspace reads besides its orders and pairs: its scorecard, its pairs' health, its proposals.

One read for the three, off the UI thread: the health of a supplier's pairs aggregates a year of their stock
movements, which for a supplier with 200,000 pairs (the benchmark world) takes half a minute, and the window
must not wait for it. The health comes back ranked as the workspace shows it: slow movers first, then the
largest excess, then by part number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from vmi_desktop.models import utcnow
from vmi_desktop.queries.proposals import ProposalOutcome, recent_proposals
from vmi_desktop.replenishment.metrics import SkuMetrics, VendorMetrics, sku_metrics, vendor_metrics
from vmi_desktop.scope import Actor

#: The period of a supplier's scorecard and of its pairs' health.
SCORECARD_DAYS = 365


@dataclass(frozen=True)
class WorkspaceSummary:
    """A supplier's scorecard (None before its first order), its pairs' health worst first, its proposals."""

    metrics: VendorMetrics | None
    health: list[SkuMetrics]
    proposals: list[ProposalOutcome]


def ranked_health(health: list[SkuMetrics]) -> list[SkuMetrics]:
    """Slow movers first, then the largest excess, then by part number and location: what to look at first."""
    return sorted(health, key=lambda h: (not h.slow_mover, -h.excess_qty, h.part_number, h.location_code))


def workspace_summary(session: Session, actor: Actor, *, days: int = SCORECARD_DAYS) -> WorkspaceSummary:
    """The scorecard, pair health and proposals of the supplier ``actor`` (scoped by ``actor`` throughout)."""
    since = (utcnow() - timedelta(days=days)).date()
    cards = vendor_metrics(session, actor, since=since)
    health = ranked_health(sku_metrics(session, actor, since=since))
    return WorkspaceSummary(cards[0] if cards else None, health, recent_proposals(session, actor))
