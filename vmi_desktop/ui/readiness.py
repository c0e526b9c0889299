"""When is the window usable? A hook for benchmarks and smoke runs, driven by the environment.

``VMI_READY_FILE=path``: at the first paint of the start page's table with its rows (see
``ui.startup``: the window, its menus and the first rows are on screen, nothing deferred has run
yet), the wall-clock time (``time.time()``), the process's CPU time so far and what was painted
(page, rows) are written to that file as JSON, so a benchmark can time from the moment it spawned
the process. Once the steps deferred until after the paint have run too (the Sync page, the
background count started), ``settled_at`` and ``settled_cpu_s`` are added.
What the start cost besides: the garbage collections run by then (``gc_collections``; of them
``gc_ui_collections`` by the UI thread's collector, ``ui.garbage``, the others automatic ones),
whether automatic collection is on, how many objects were frozen out of it (``cli._gui``), the
modules imported before the paint (``modules``) and the Python files whose source was read by then
(``sources_read``: ``linecache``'s; ``ui.source_scan`` keeps PySide6 from reading each module's).
``VMI_QUIT_WHEN_READY=1`` then closes the window (a start-up benchmark or a smoke test).
"""

from __future__ import annotations

import gc
import json
import linecache
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QAbstractItemView

from vmi_desktop.ui.garbage import UiThreadCollector
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.startup import after_first_paint

ENV_READY_FILE = "VMI_READY_FILE"
ENV_QUIT = "VMI_QUIT_WHEN_READY"


def _ui_collector() -> UiThreadCollector | None:
    app = QCoreApplication.instance()
    found = app.findChild(UiThreadCollector) if app is not None else None
    return found if isinstance(found, UiThreadCollector) else None


def ready_reporter(window: MainWindow) -> Callable[[], None] | None:
    """The reporter to call at the first paint (None unless ``VMI_READY_FILE`` is set)."""
    target = os.environ.get(ENV_READY_FILE)
    if not target:
        return None
    path = Path(target)

    def ready() -> None:
        report: dict[str, Any] = {"ready_at": time.time(), "cpu_s": time.process_time(), "pid": os.getpid()}
        page = window.current_page()
        view = getattr(page, "view", None)
        model = view.model() if isinstance(view, QAbstractItemView) else None
        report.update(page=window.current_key(), rows=model.rowCount() if model is not None else None)
        ui_collector = _ui_collector()
        report.update(
            gc_collections=sum(generation["collections"] for generation in gc.get_stats()),
            gc_ui_collections=ui_collector.collections if ui_collector is not None else 0,
            gc_enabled=gc.isenabled(),
            gc_frozen=gc.get_freeze_count(),
            modules=sorted(sys.modules),
            sources_read=sorted(name for name in linecache.cache if not name.startswith("<")),  # files only
        )
        path.write_text(json.dumps(report))

        def settled() -> None:
            report.update(settled_at=time.time(), settled_cpu_s=time.process_time())
            path.write_text(json.dumps(report))
            if os.environ.get(ENV_QUIT) == "1":
                window.close()

        after_first_paint(settled)  # queued after every step deferred until the paint

    return ready
