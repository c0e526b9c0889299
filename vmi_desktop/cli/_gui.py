"""Start the desktop application (the default when no subcommand is given)."""

from __future__ import annotations

import argparse


def run_gui(args: argparse.Namespace) -> int:
    from vmi_desktop.cli._common import settings_from

    try:
        from vmi_desktop.ui.app import run_app
    except ImportError as exc:  # the UI package is optional for headless installs
        raise SystemExit(f"the desktop UI is not available: {exc}") from exc
    return run_app(settings_from(args))
