"""``vmi-desktop thresholds proposals | accept | reject``: the suppliers' threshold proposals, decided."""

from __future__ import annotations

import argparse

from vmi_desktop.cli._common import open_db_as_user, vendor_id_of
from vmi_desktop.cli._types import bounded_int
from vmi_desktop.cli.metrics import print_table

HEADERS = ["id", "vendor", "sku", "location", "min", "max", "proposed_min", "proposed_max", "proposed_at", "reason"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The three actions, under ``thresholds``."""
    listing = commands.add_parser("proposals", help="threshold proposals of suppliers awaiting a decision")
    listing.add_argument("--vendor", help="only this vendor's proposals (code)")
    listing.set_defaults(handler=run_list)
    ids = {"type": bounded_int(1, 2**31 - 1), "nargs": "+", "metavar": "ID", "help": "proposal ids (see proposals)"}
    accept = commands.add_parser("accept", help="accept proposals: their agreements take the proposed min/max")
    accept.add_argument("ids", **ids)  # type: ignore[arg-type]
    accept.add_argument("--note", default="", help="why (kept in the audit trail)")
    accept.set_defaults(handler=run_accept)
    reject = commands.add_parser("reject", help="reject proposals, with the reason the supplier reads")
    reject.add_argument("ids", **ids)  # type: ignore[arg-type]
    reject.add_argument("--reason", required=True, help="why the proposal is rejected")
    reject.set_defaults(handler=run_reject)


def run_list(args: argparse.Namespace) -> int:
    from vmi_desktop.queries.proposals import pending_proposals

    db, actor = open_db_as_user(args)
    with db.sessions() as session:
        vendor_id = vendor_id_of(session, args.vendor)
        rows = pending_proposals(session, actor, vendor_id=vendor_id)
    if not rows:
        print("no threshold proposal awaits a decision")
        return 0
    print_table(
        HEADERS,
        [
            [
                p.id,
                p.vendor_code,
                p.part_number,
                p.location_code,
                p.min_now,
                p.max_now,
                p.proposed_min,
                p.proposed_max,
                p.created_at.strftime("%Y-%m-%d %H:%M"),
                p.reason,
            ]
            for p in rows
        ],
    )
    return 0


def _decide(args: argparse.Namespace, *, accept: bool, note: str) -> int:
    from vmi_desktop.commands.thresholds import decide_proposals

    db, actor = open_db_as_user(args)
    decision = decide_proposals(db, actor, args.ids, accept=accept, note=note)
    done = decision.accepted if accept else decision.rejected
    verb = "accepted" if accept else "rejected"
    print(f"{verb} {len(done)} proposal(s): {', '.join(str(i) for i in done)}")
    if decision.orders_raised:
        print(f"reorder raised {', '.join(decision.orders_raised)} on the new thresholds")
    return 0


def run_accept(args: argparse.Namespace) -> int:
    return _decide(args, accept=True, note=args.note)


def run_reject(args: argparse.Namespace) -> int:
    return _decide(args, accept=False, note=args.reason)
