"""``vmi-desktop db``: schema status and upgrade."""

from __future__ import annotations

import argparse

from vmi_desktop.bootstrap import connect
from vmi_desktop.cli._common import settings_from
from vmi_desktop.db import rls
from vmi_desktop.db.migrate import current_revision, head_revision, upgrade_database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema status and upgrade")
    parser.add_argument("action", choices=["status", "upgrade"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = connect(settings_from(args))
    if args.action == "status":
        print(f"database: {db.display_name()}")
        print(f"schema:   {current_revision(db) or 'empty'} (this app: {head_revision()})")
        if db.is_postgresql:
            with db.engine.connect() as conn:
                problems = rls.catalog_problems(conn) if rls.has_rls(conn) else ["not set up (run db upgrade)"]
            print("row-level security: " + ("forced on every table" if not problems else "; ".join(problems)))
        return 0
    result = upgrade_database(db)
    print(
        f"schema {result.from_revision or 'empty'} -> {result.to_revision}"
        + (f" (backup: {result.backup})" if result.backup else "")
    )
    return 0
