"""What a committed unit of work changed, for those who show it or pass it on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Changes:
    """Collected by a command while it works, handed to the ``Database``'s observers after the commit.

    Only ids: an observer (a page refreshing its rows, the sync scheduler pushing a delta) reads what
    it needs itself. Nothing here is delivered for a unit of work that rolled back.
    """

    #: (sku_id, location_id) pairs whose on hand or on order moved
    pairs: set[tuple[int, int]] = field(default_factory=set)
    #: purchase orders created or changed
    orders: set[int] = field(default_factory=set)
    #: supply agreements changed (thresholds, snoozes)
    agreements: set[int] = field(default_factory=set)
    #: alerts raised, acknowledged or resolved
    alerts: bool = False
    #: master data (SKUs, locations, vendors, users) changed
    master_data: bool = False
    #: vendors whose outbox, inbox or sync state changed
    sync_vendors: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.pairs or self.orders or self.agreements or self.alerts or self.master_data or self.sync_vendors
        )

    def merge(self, other: Changes) -> None:
        """Add what ``other`` changed (a command made of several steps)."""
        self.pairs |= other.pairs
        self.orders |= other.orders
        self.agreements |= other.agreements
        self.alerts = self.alerts or other.alerts
        self.master_data = self.master_data or other.master_data
        self.sync_vendors |= other.sync_vendors
