"""When is the window usable? A hook for benchmarks and smoke runs, driven by the environment.

``VMI_READY_FILE=path``: once the main window is shown and the event loop has painted it (the
first page built, nothing queued before it), the wall-clock time (``time.time()``) is written to
that file as JSON, so a benchmark can time from the moment it spawned the process.
``VMI_QUIT_WHEN_READY=1`` then closes the window (a start-up benchmark or a smoke test).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

ENV_READY_FILE = "VMI_READY_FILE"
ENV_QUIT = "VMI_QUIT_WHEN_READY"


def report_when_ready(window: QMainWindow) -> None:
    """Arm the hook (does nothing unless ``VMI_READY_FILE`` is set)."""
    target = os.environ.get(ENV_READY_FILE)
    if not target:
        return

    def ready() -> None:
        QApplication.processEvents()  # the first paint of the shown window
        Path(target).write_text(json.dumps({"ready_at": time.time(), "pid": os.getpid()}))
        if os.environ.get(ENV_QUIT) == "1":
            window.close()

    QTimer.singleShot(0, ready)
