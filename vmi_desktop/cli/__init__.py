"""``vmi-desktop``: the GUI without arguments, headless work through subcommands.

Each module in this package that defines ``register(subparsers)`` adds one
subcommand, so features add commands without editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from vmi_desktop import __version__
from vmi_desktop.db import DatabaseError
from vmi_desktop.errors import VmiError
from vmi_desktop.logs import setup_logging, write_crash_report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vmi-desktop", description="Vendor-managed inventory for spare parts.")
    parser.add_argument("--version", action="version", version=f"vmi-desktop {__version__}")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: SQLite file in the user data folder; env VMI_DATABASE_URL)"
    )
    parser.add_argument("--user", help="act as this app user (default: the OS login name; env VMI_USER)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vmi-desktop`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    # A rotating log file in the log folder for the window and for every command; the CLI also logs to stderr.
    setup_logging(gui=handler is None, verbose=args.verbose)
    if handler is None:
        from vmi_desktop.cli._gui import run_gui

        handler = run_gui
    try:
        return int(handler(args) or 0)
    except (VmiError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: keep a crash report beside the logs, then fail as Python does
        report = write_crash_report(type(exc), exc, exc.__traceback__, context=f"vmi-desktop {args.command or 'gui'}")
        if report.path is not None:
            print(f"vmi-desktop: unexpected error; crash report: {report.path}", file=sys.stderr)
        raise
