"""The real start (``python -m vmi_desktop`` on a database): what it costs before the window's first paint.

One start in a child process, reported at the start page's first paint through ``VMI_READY_FILE``
(``ui.readiness``), as the start-up benchmark times it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MANAGER, make_sqlite_db
from tests.ui.conftest import ON_HAND
from tests.world import build_world
from vmi_desktop.models import StockLevel, User
from vmi_desktop.replenishment.pair_figures import refresh_pair_figures


@pytest.fixture(scope="module")
def started(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The ready report of one start of the app on the small stocked world, as its parts manager."""
    from decimal import Decimal

    from sqlalchemy import insert

    from vmi_desktop.models import Role

    folder = tmp_path_factory.mktemp("start")
    db = make_sqlite_db(sqlite_template, folder)
    try:
        with db.transaction() as session:
            world = build_world(session)
            session.add(User(username=MANAGER.name, role=Role.PARTS_MANAGER))
            session.execute(
                insert(StockLevel),
                [
                    {"sku_id": world.skus[s], "location_id": world.locations[loc], "on_hand": Decimal(q)}
                    for (s, loc), q in ON_HAND.items()
                ],
            )
            refresh_pair_figures(session)
        url = db.url
    finally:
        db.dispose()
    ready = folder / "ready.json"
    ini = folder / "config" / "VMI Desktop" / "vmi-desktop.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[notices]\nkeyring_missing_shown=true\n")
    env = {
        **os.environ,
        "VMI_READY_FILE": str(ready),
        "VMI_QUIT_WHEN_READY": "1",
        "VMI_DATA_DIR": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "QT_QPA_PLATFORM": "offscreen",
        "VMI_USER": MANAGER.name,
    }
    env.pop("VMI_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "vmi_desktop", "--database-url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(ready.read_text())
    assert report["page"] == "worklist"
    assert report["rows"] > 0, "the start page painted no rows"
    return report


def test_the_start_runs_its_imports_without_automatic_garbage_collection(started: dict[str, Any]) -> None:
    # the interpreter's own start (site and its .pth files, before cli.main) collects some 20 times; with
    # the collector on, the start's imports made about 180 more before the paint
    automatic = started["gc_collections"] - started["gc_ui_collections"]
    assert automatic < 60
    assert not started["gc_enabled"]  # the UI thread collects (ui.garbage)


def test_what_the_start_imported_is_kept_out_of_the_ui_threads_collections(started: dict[str, Any]) -> None:
    # the modules, classes and mappers: the UI collector's first collection does not scan them all
    assert started["gc_frozen"] > 100_000


def test_the_start_imports_no_query_module_its_first_page_does_not_use(started: dict[str, Any]) -> None:
    modules = set(started["modules"])
    assert {"vmi_desktop.queries.worklist", "vmi_desktop.queries.catalog"} <= modules
    assert not modules & {"vmi_desktop.queries.stock", "vmi_desktop.queries.audit"}


def test_the_start_reads_no_modules_source(started: dict[str, Any]) -> None:
    # PySide6 reads the source of every module imported after it (some 330 files) unless
    # ui.source_scan answers its question from the module's package; what PySide6 imports itself
    # before it can be answered (enum, PySide6 and shiboken6's own __init__) is all that is read
    read = started["sources_read"]
    assert len(read) <= 5, read
    assert not [name for name in read if "vmi_desktop" in name or "sqlalchemy" in name]
