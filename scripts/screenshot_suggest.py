"""Screenshot of Agreements > Suggest thresholds… with its replay chart, on a demo database.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot_suggest.py

Without ``--database-url`` a small demo database (120 SKUs, 3 locations, 800 days) is generated
into a temporary folder first. Writes ``docs/screenshots/suggest-thresholds.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots import _save, make_demo_db, wait_until  # noqa: E402


def take(database_url: str, out: Path, user: str, location: str | None) -> Path:
    """Open the dialog for one location's agreements, compute, pick a pair that shows the difference, save."""
    from PySide6.QtCore import QSettings
    from sqlalchemy import select

    from vmi_desktop.config import Settings
    from vmi_desktop.models import Location, SupplyAgreement
    from vmi_desktop.ui.app import application, open_context
    from vmi_desktop.ui.dialogs.suggest import SuggestThresholdsDialog

    settings_dir = tempfile.mkdtemp(prefix="vmi-screenshots-settings-")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings_dir)
    app = application()
    ctx = open_context(Settings(database_url=database_url, username=user))
    try:
        with ctx.db.sessions() as session:
            stmt = select(SupplyAgreement.id).join(Location, Location.id == SupplyAgreement.location_id)
            code = location or session.scalars(select(Location.code).order_by(Location.code)).first()
            ids = list(session.scalars(stmt.where(Location.code == code, SupplyAgreement.active.is_(True))))
        dialog = SuggestThresholdsDialog(ctx, ids, scope_text=f"For the {len(ids)} agreements at {code}.")
        dialog.resize(1260, 780)
        dialog.show()
        done: list[object] = []
        dialog.computed.connect(lambda: done.append(1))
        dialog.compute()
        if not wait_until(app, done.__len__, 120):
            raise RuntimeError("the suggestions did not finish")
        rows = dialog.model.rows
        # a pair with demand whose suggestion changes the stock the most, to show both lines apart
        best = max(
            range(len(rows)),
            key=lambda r: (
                (rows[r].current.demanded > 0) * abs(rows[r].current.on_hand_value - rows[r].suggested.on_hand_value)
            ),
        )
        traced: list[object] = []
        dialog.traced.connect(lambda: traced.append(1))
        dialog.view.selectRow(best)
        dialog.view.scrollTo(dialog.model.index(best, 0))
        wait_until(app, traced.__len__, 30)
        wait_until(app, lambda: False, 0.6)
        out.mkdir(parents=True, exist_ok=True)
        return _save(dialog, out / "suggest-thresholds.png")
    finally:
        ctx.runner.wait(10000)
        ctx.db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a demo database (default: generate one)")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--location", help="location code (default: the first)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or make_demo_db(Path(tmp), skus=120, days=800)
        print(take(url, args.out, args.user, args.location))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
