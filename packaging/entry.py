"""PyInstaller entry point: the same ``vmi-desktop`` command, frozen."""

from __future__ import annotations

import multiprocessing
import sys

from vmi_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
