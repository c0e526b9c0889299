"""``vmi-desktop alerts``: list, acknowledge and resolve alerts; evaluate every cause now."""

from __future__ import annotations

import argparse

from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli._types import limit, record_id
from vmi_desktop.cli.metrics import print_table


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("alerts", help="list, acknowledge and resolve alerts")
    sub = parser.add_subparsers(dest="alerts_command", required=True)
    p = sub.add_parser("list", help="unresolved alerts, newest first")
    p.add_argument("--all", action="store_true", help="include resolved ones")
    p.add_argument("--limit", type=limit, default=200)
    p.set_defaults(handler=run)
    for name in ("ack", "resolve"):
        p = sub.add_parser(name, help=f"{'acknowledge' if name == 'ack' else 'resolve'} an alert by id")
        p.add_argument("alert_id", type=record_id)
        p.set_defaults(handler=run)
    p = sub.add_parser("evaluate", help="check every cause now; raise new alerts, resolve cleared ones")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.replenishment import alerts
    from vmi_desktop.scope import Action, require

    db, actor = open_db_as_user(args)
    cmd = args.alerts_command
    with db.transaction() as session:
        if cmd == "list":
            found = alerts.list_alerts(session, actor, include_resolved=args.all, limit=args.limit)
            print_table(
                ["id", "kind", "severity", "status", "created", "message"],
                [
                    [
                        a.id,
                        a.kind.value,
                        a.severity.value,
                        a.status.value,
                        a.created_at.strftime("%Y-%m-%d %H:%M"),
                        a.message,
                    ]
                    for a in found
                ],
            )
        elif cmd == "ack":
            a = alerts.acknowledge(session, actor, args.alert_id)
            print(f"alert {a.id} acknowledged by {a.acknowledged_by}")
        elif cmd == "resolve":
            a = alerts.resolve(session, actor, args.alert_id)
            print(f"alert {a.id} resolved by {a.resolved_by}")
        else:
            require(actor, Action.RUN_REORDER)
            result = alerts.evaluate_alerts(session)
            print(f"{result.raised} raised, {result.resolved} resolved")
    return 0
