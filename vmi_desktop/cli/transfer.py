"""``vmi-desktop import`` and ``vmi-desktop export``: master data and history from and to CSV/XLSX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vmi_desktop.cli._common import open_db_as_user


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from vmi_desktop.importer import ENTITIES

    entities = ", ".join(ENTITIES)
    parser = subparsers.add_parser(
        "import",
        help="import master data or history from a CSV or XLSX file",
        description=f"ENTITY is one of {entities}. A file is applied all or nothing unless --good-rows-only.",
    )
    parser.add_argument("entity", metavar="ENTITY", help=entities)
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--dry-run", action="store_true", help="show every row's fate and write nothing")
    parser.add_argument(
        "--good-rows-only", action="store_true", help="apply the good rows, save the rejects (--rejects)"
    )
    parser.add_argument("--rejects", type=Path, help="where --good-rows-only writes the refused rows (.csv or .xlsx)")
    parser.add_argument("--all-rows", action="store_true", help="list every row's fate, not only the refused ones")
    parser.set_defaults(handler=run_import)
    parser = subparsers.add_parser("export", help="export master data or history to a CSV or XLSX file")
    parser.add_argument("entity", metavar="ENTITY", help=entities)
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.set_defaults(handler=run_export)


def run_import(args: argparse.Namespace) -> int:
    from vmi_desktop import importer

    db, actor = open_db_as_user(args)
    if args.good_rows_only and args.rejects is None:
        args.rejects = args.file.with_name(f"{args.file.stem}.rejects.csv")
    if args.dry_run:
        plan = importer.dry_run(db, actor, args.entity, args.file)
    else:
        try:
            plan = importer.apply(
                db, actor, args.entity, args.file, good_rows_only=args.good_rows_only, rejects_path=args.rejects
            )
        except importer.ImportRejected as exc:
            _print_rows(exc.plan, all_rows=args.all_rows)
            print(f"error: {exc.plan.summary()} Nothing was imported.", file=sys.stderr)
            return 2
    _print_rows(plan, all_rows=args.all_rows or (args.dry_run and len(plan.rows) <= 50))
    print(plan.summary())
    if plan.rejects_file:
        print(f"refused rows written to {plan.rejects_file}")
    return 1 if args.dry_run and not plan.ok else 0


def _print_rows(plan: object, *, all_rows: bool) -> None:
    from vmi_desktop.importer import ImportPlan

    assert isinstance(plan, ImportPlan)
    for error in plan.file_errors:
        print(f"error: {error}", file=sys.stderr)
    for fate in plan.rows:
        if fate.errors:
            for error in fate.errors:
                print(f"rejected: {error}", file=sys.stderr)
        elif all_rows:
            detail = f" ({fate.detail})" if fate.detail else ""
            print(f"row {fate.row}: {fate.action} {fate.key}{detail}")


def run_export(args: argparse.Namespace) -> int:
    from vmi_desktop import importer

    db, actor = open_db_as_user(args)
    count = importer.export(db, actor, args.entity, args.file)
    print(f"{count} {args.entity} rows written to {args.file}")
    return 0
