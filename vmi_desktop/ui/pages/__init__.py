"""The pages of the main window, created in navigation order.

Each page module is imported on its own and guarded: a page that fails to
import is logged and left out, so the rest of the app still starts.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from vmi_desktop.scope import Action

if TYPE_CHECKING:
    from vmi_desktop.ui.context import AppContext
    from vmi_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: (key, title, module, class, action needed to see the page or None)
PAGE_SPECS: tuple[tuple[str, str, str, str, Action | None], ...] = (
    ("dashboard", "Dashboard", "dashboard", "DashboardPage", None),
    ("worklist", "Replenishment worklist", "worklist", "WorklistPage", None),
    ("stock", "Stock", "stock", "StockPage", None),
    ("skus", "SKUs", "skus", "SkusPage", None),
    ("vendors", "Vendors", "vendors", "VendorsPage", None),
    ("locations", "Locations", "locations", "LocationsPage", None),
    ("agreements", "Agreements & thresholds", "agreements", "AgreementsPage", None),
    ("orders", "Purchase orders", "orders", "OrdersPage", None),
    ("alerts", "Alerts", "alerts", "AlertsPage", None),
    ("part", "Part", "part", "PartPage", None),
    ("audit", "Audit log", "audit", "AuditPage", Action.VIEW_AUDIT),
)


def build_pages(ctx: AppContext, window: MainWindow) -> list[tuple[str, str, QWidget]]:
    """Create the pages the user may see, in order; a page that cannot load is logged and skipped."""
    pages: list[tuple[str, str, QWidget]] = []
    for key, title, module_name, class_name, needed in PAGE_SPECS:
        if needed is not None and not ctx.can(needed):
            continue
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
            cls = getattr(module, class_name)
        except (ImportError, AttributeError) as exc:
            log.warning("page %s is not available: %s", key, exc)
            continue
        pages.append((key, title, cls(ctx)))
    return pages
