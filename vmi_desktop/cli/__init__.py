"""``vmi-desktop``: the GUI without arguments, headless work through subcommands.

Each module in this package that defines ``register(subparsers)`` adds one
subcommand, so features add commands without editing this file.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from vmi_desktop import __version__
from vmi_desktop.errors import VmiError

# Nothing else at import: the window's start turns the cyclic collector off before SQLAlchemy, the models
# and PySide6 are imported (``main``); ``db.errors`` (SQLAlchemy) and ``logs`` are imported by ``main``.


class CommandParser(argparse.ArgumentParser):
    """A parser whose global options (``--database-url``, ``--user``, ``-v``) work before or after any subcommand.

    ``add_subparsers`` makes every subcommand parser of this class; each takes the global options
    again with no default of its own, so ``vmi-desktop demo --database-url X`` and
    ``vmi-desktop --database-url X demo`` mean the same, and a value given after the subcommand wins.
    """

    def __init__(self, *args: Any, root: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.root = root
        default: Any = None if root else argparse.SUPPRESS
        self.add_argument(
            "--database-url",
            default=default,
            help="SQLAlchemy URL (default: SQLite file in the user data folder; env VMI_DATABASE_URL)",
        )
        self.add_argument(
            "--user",
            default=default,
            help="PostgreSQL: must name your own login's app user (anything else is refused); built-in SQLite: "
            "a parts manager, or a read-only preview of another user (default: the OS login name; env VMI_USER)",
        )
        self.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=False if root else argparse.SUPPRESS,
            help="log debug output",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog="vmi-desktop", description="Vendor-managed inventory for spare parts.", root=True)
    parser.add_argument("--version", action="version", version=f"vmi-desktop {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    import pkgutil  # not needed to start the window (see _gui_arguments)

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def _gui_arguments(argv: list[str]) -> argparse.Namespace | None:
    """The arguments when they start the window (global options only), else None.

    Starting the window needs none of the subcommand modules: not importing them saves a good part
    of the start-up time.
    """
    if any(a in ("-h", "--help", "--version") for a in argv):
        return None
    root = CommandParser(prog="vmi-desktop", add_help=False, root=True)
    args, rest = root.parse_known_args(argv)
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vmi-desktop`` command."""
    given = list(sys.argv[1:] if argv is None else argv)
    args = _gui_arguments(given)
    if args is not None:
        # The window: no automatic collection from here on (``ui.garbage`` collects on the UI thread once the
        # QApplication exists). The start's imports make some hundred thousand objects that live as long as
        # the process; the collector would scan them about 180 times before the first paint (~0.1 s).
        gc.disable()
    else:
        args = build_parser().parse_args(given)
    handler = getattr(args, "handler", None)
    from vmi_desktop.db.errors import classify, is_database_error
    from vmi_desktop.logs import setup_logging, write_crash_report

    # A rotating log file in the log folder for the window and for every command; the CLI also logs to stderr.
    setup_logging(gui=handler is None, verbose=args.verbose)
    if handler is None:
        from vmi_desktop.cli._gui import run_gui

        handler = run_gui
    try:
        return int(handler(args) or 0)
    except VmiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if is_database_error(exc):
            print(f"error: {classify(exc)}", file=sys.stderr)
            return 2
        # A bug: keep a crash report beside the logs, then fail as Python does.
        report = write_crash_report(type(exc), exc, exc.__traceback__, context=f"vmi-desktop {args.command or 'gui'}")
        if report.path is not None:
            print(f"vmi-desktop: unexpected error; crash report: {report.path}", file=sys.stderr)
        raise
