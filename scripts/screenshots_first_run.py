"""Screenshots of the first-run wizard's pages and of the About dialog (docs/screenshots/).

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshots_first_run.py

The server page is shown after a real "Test connection" against a throwaway PostgreSQL cluster
(tests/pg.py) when initdb/pg_ctl are installed, else with an unanswered test. Nothing is written
outside a temporary folder but the PNGs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait_for(app: QApplication, condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for the wizard")
        app.processEvents()
        time.sleep(0.02)


def shoot(app: QApplication, widget: QWidget, path: Path) -> None:
    settle(app)
    widget.grab().save(str(path))
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from vmi_desktop.ui.app import application

    app = application()
    from vmi_desktop.config import Settings
    from vmi_desktop.ui.about import AboutDialog
    from vmi_desktop.ui.first_run import FirstRunWizard

    cluster = None
    try:
        from tests.pg import find_pg_bin, start_cluster

        if find_pg_bin() is not None:
            cluster = start_cluster()
    except Exception as exc:  # the screenshots still work without PostgreSQL
        print(f"no PostgreSQL cluster ({exc}); the server page is shown untested")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", config_dir=Path(tmp) / "config", username="dana")
        wizard = FirstRunWizard(settings)
        wizard.demo_size = (60, 60)
        wizard.show()
        shoot(app, wizard, args.out / "first-run-1-database.png")

        wizard.database_page.postgres.setChecked(True)
        wizard.next()
        page = wizard.server_page
        if cluster is not None:
            from sqlalchemy import text

            from vmi_desktop.db import create_database

            admin = create_database(cluster.url("postgres"))
            with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("CREATE DATABASE vmi"))
            admin.dispose()
            page.url.setText(cluster.url("vmi").replace("postgresql+psycopg://", "postgresql://"))
            page.test_connection()
            wait_for(app, lambda: page.isComplete() or bool(page.error.text()))
        else:
            page.url.setText("postgresql://dana@db.example.org:5432/vmi")
        shoot(app, wizard, args.out / "first-run-2-server.png")

        wizard.back()
        wizard.database_page.builtin.setChecked(True)
        wizard.next()
        shoot(app, wizard, args.out / "first-run-3-manager.png")
        wizard.next()
        wizard.start_page.demo.setChecked(True)
        shoot(app, wizard, args.out / "first-run-4-start.png")
        wizard.next()
        wait_for(app, wizard.setup_page.isComplete)
        shoot(app, wizard, args.out / "first-run-5-done.png")
        assert wizard.setup_result is not None
        database = wizard.setup_result.settings.effective_database_url
        wizard.runner.wait()
        wizard.close()

        about = AboutDialog(database, settings)
        about.show()
        shoot(app, about, args.out / "about.png")
        about.close()
    if cluster is not None:
        cluster.stop()
    QCoreApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
