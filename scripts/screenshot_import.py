"""Save a PNG of File > Import... after checking a file with good and bad agreement rows.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot_import.py --out docs/screenshots/import.png

Generates a small demo database in a temporary folder, exports its agreements, spoils a few rows
(a min above its max, an unknown vendor, a fraction of a whole unit) and changes a few thresholds,
then shows the dry-run table of every row's fate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "import.png")
    args = parser.parse_args()
    from openpyxl import Workbook, load_workbook
    from PySide6.QtWidgets import QApplication

    from scripts.screenshots import _save, make_demo_db, wait_until
    from vmi_desktop import importer
    from vmi_desktop.config import Settings
    from vmi_desktop.db import create_database
    from vmi_desktop.scope import SYSTEM
    from vmi_desktop.ui.context import AppContext
    from vmi_desktop.ui.dialogs.import_file import ImportDialog
    from vmi_desktop.ui.tasks import TaskRunner

    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = create_database(make_demo_db(folder, skus=40, days=60))
        exported = folder / "agreements.xlsx"
        importer.export(db, SYSTEM, "agreements", exported)
        sheet = load_workbook(exported).active
        assert sheet is not None
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header, body = rows[0], rows[1:40]
        col = {name: i for i, name in enumerate(header)}
        body[2][col["min_qty"]], body[2][col["max_qty"]] = 40, 12
        body[5][col["vendor"]] = "ACMEE"
        body[9][col["min_qty"]] = 2.5
        for i in (1, 4, 7, 12):
            body[i][col["max_qty"]] = (body[i][col["max_qty"]] or 0) + 10
        spoiled = folder / "agreements-2026-12.xlsx"
        workbook = Workbook()
        ws = workbook.active
        assert ws is not None
        ws.title = "agreements"
        for row in [header, *body]:
            ws.append(row)
        workbook.save(spoiled)
        runner = TaskRunner()
        ctx = AppContext(db=db, actor=SYSTEM, settings=Settings(data_dir=folder, config_dir=folder), runner=runner)
        dialog = ImportDialog(ctx)
        dialog.resize(1100, 620)
        dialog.entity.setCurrentIndex(dialog.entity.findData("agreements"))
        dialog.path.setText(str(spoiled))
        dialog.show()
        dialog.check()
        wait_until(app, lambda: dialog.plan is not None and not dialog.cancel_button.isEnabled())
        dialog.good_only.setChecked(True)
        dialog.table.scrollToTop()
        wait_until(app, lambda: False, timeout_s=0.5)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        _save(dialog, args.out)
        runner.wait()
        ctx.close()
        db.dispose()
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
