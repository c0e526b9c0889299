"""``vmi-desktop units``: the units of measure SKUs are stocked in (whole, or measured to 3 decimals)."""

from __future__ import annotations

import argparse

from vmi_desktop import units
from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli.metrics import print_table


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("units", help="list or add units of measure (whole: EA, SET; measured: L, KG)")
    sub = parser.add_subparsers(dest="units_command", required=True)
    sub.add_parser("list", help="every unit, whole ones first").set_defaults(handler=run)
    p = sub.add_parser("add", help="add a unit (parts manager)")
    p.add_argument("code", help="short code, e.g. DRUM or CL")
    p.add_argument("name", help="what it is, e.g. 'drum' or 'centilitre'")
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--whole", action="store_true", help="counted in whole units: never a fraction")
    kind.add_argument("--measured", action="store_true", help="measured: up to 3 decimals")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db, actor = open_db_as_user(args)
    with db.transaction() as session:
        if args.units_command == "add":
            unit = units.add_unit(session, actor, args.code, args.name, whole=args.whole)
            print(f"unit {unit.code} ({unit.name}) added: {'whole units' if unit.whole else 'measured'}")
            return 0
        print_table(
            ["code", "name", "counted as"],
            [
                [u.code, u.name, "whole units" if u.whole else "measured (3 decimals)"]
                for u in units.list_units(session)
            ],
        )
    return 0
