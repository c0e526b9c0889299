"""The ``vmi-desktop`` command's first module: the start's imports run with the cyclic collector off.

Starting imports some thousands of modules and builds the mappers: hundreds of thousands of objects
that live as long as the process, which the collector would scan again and again while they are made
(a few percent of the start). The window then hands collection to its UI thread (``ui.garbage``);
a subcommand turns it back on as soon as it is chosen (``cli.main``).
"""

from __future__ import annotations

import gc


def main() -> int:
    """Entry point of the ``vmi-desktop`` command (console script, ``python -m``, the frozen app)."""
    gc.disable()
    from vmi_desktop.cli import main as run

    return run()
