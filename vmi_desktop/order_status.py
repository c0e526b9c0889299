"""The purchase order status machine: one transition table, and every status set derived from it.

Whoever needs to know whether an order may be cancelled, received, shipped or decided, whether it
still counts as on order, or whether the supplier already knows it, asks this module; nobody keeps
a list of statuses of their own (three hand-kept copies used to disagree).
"""

from __future__ import annotations

from vmi_desktop.models.enums import POStatus

S = POStatus

#: The status machine: from -> statuses it may move to.
TRANSITIONS: dict[POStatus, frozenset[POStatus]] = {
    S.DRAFT: frozenset({S.AWAITING_APPROVAL, S.SENT, S.CANCELLED, S.REJECTED}),
    S.AWAITING_APPROVAL: frozenset({S.DRAFT, S.SENT, S.ACKNOWLEDGED, S.CANCELLED, S.REJECTED}),
    S.SENT: frozenset(
        {S.ACKNOWLEDGED, S.PARTLY_SHIPPED, S.SHIPPED, S.PARTLY_RECEIVED, S.RECEIVED, S.CANCELLED, S.REJECTED}
    ),
    S.ACKNOWLEDGED: frozenset({S.PARTLY_SHIPPED, S.SHIPPED, S.PARTLY_RECEIVED, S.RECEIVED, S.CANCELLED}),
    S.PARTLY_SHIPPED: frozenset({S.SHIPPED, S.PARTLY_RECEIVED, S.RECEIVED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.PARTLY_RECEIVED, S.RECEIVED, S.CANCELLED}),
    S.PARTLY_RECEIVED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}


def may_move(before: POStatus, after: POStatus) -> bool:
    """Whether the machine allows ``before`` -> ``after``."""
    return after in TRANSITIONS[before]


def _from_which(target: POStatus) -> frozenset[POStatus]:
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def _reachable(start: POStatus) -> frozenset[POStatus]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


#: Final statuses: nothing follows them.
TERMINAL: frozenset[POStatus] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
#: Orders in these statuses count towards the inventory position (drafts and proposals included).
OPEN: frozenset[POStatus] = frozenset(POStatus) - TERMINAL
#: Statuses from which the order may be cancelled.
CANCELLABLE: frozenset[POStatus] = _from_which(S.CANCELLED)
#: Statuses in which goods may be received against the order.
RECEIVABLE: frozenset[POStatus] = _from_which(S.RECEIVED)
#: Statuses in which a ship notice is taken: goods are still expected (split deliveries included).
SHIPPABLE: frozenset[POStatus] = RECEIVABLE
#: The parts manager's decision (approve or reject) is pending.
DECIDABLE: frozenset[POStatus] = _from_which(S.REJECTED) - _reachable(S.SENT)
#: The supplier has the order: it was sent and is not closed (a customer cancel must be sent to it).
AT_SUPPLIER: frozenset[POStatus] = _reachable(S.SENT) - TERMINAL
#: A supplier may acknowledge (or re-acknowledge) the order in these statuses.
ACKNOWLEDGEABLE: frozenset[POStatus] = frozenset({S.SENT, S.ACKNOWLEDGED})
#: Orders that never went to a supplier (or were called off) do not count against its performance
#: (the dashboard's and the charts' supplier figures).
NOT_PLACED: tuple[POStatus, ...] = (S.DRAFT, S.AWAITING_APPROVAL, S.REJECTED, S.CANCELLED)


def label(status: POStatus) -> str:
    """A status as people read it ("partly received")."""
    return status.value.replace("_", " ")
