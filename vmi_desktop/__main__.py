"""``python -m vmi_desktop`` is the ``vmi-desktop`` command."""

from __future__ import annotations

import sys

from vmi_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
