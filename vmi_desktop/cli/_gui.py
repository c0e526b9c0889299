"""Start the desktop application (the default when no subcommand is given)."""

from __future__ import annotations

import argparse
import gc
import importlib

#: Modules without Qt that the window's start imports (``ui.startup``: the first-run check, the planner
#: statistics, the start page's query, the export cells), imported before PySide6 is. Once loaded,
#: PySide6 reads the source of every module an import statement names, the first time it is named
#: (its ``__feature__`` switches are per module), unless ``ui.source_scan`` answers for it, as it does
#: from here on; where it cannot (another PySide6), a module imported before PySide6 is read once, when a
#: window module names it, and the modules it imports itself are not read at all (about 60 files).
BEFORE_QT = (
    "vmi_desktop.first_run",
    "vmi_desktop.queries.maintenance",
    "vmi_desktop.queries.worklist",
    "vmi_desktop.exporting",
)


def run_gui(args: argparse.Namespace) -> int:
    from vmi_desktop.cli._common import settings_from

    try:
        for name in BEFORE_QT:
            importlib.import_module(name)
        from vmi_desktop.ui.source_scan import stop_source_scan

        stop_source_scan()  # PySide6 would read the source of every module imported from here on
        from vmi_desktop.ui.app import run_app
    except ImportError as exc:  # the UI package is optional for headless installs
        raise SystemExit(f"the desktop UI is not available: {exc}") from exc
    if not gc.isenabled():  # ``cli.main`` started the window with the collector off
        # what the start imported (modules, classes, mappers: the most of the heap) lives as long as the
        # process: kept out of the UI thread's collections (``ui.garbage``), its first one included, which
        # would otherwise scan every object the imports made
        gc.freeze()
    return run_app(settings_from(args))
