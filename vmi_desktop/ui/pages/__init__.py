"""The pages of the main window, created in navigation order.

Each page module is imported when its page is first shown, and guarded: a
page that fails to import is logged and shows why, so the rest of the app
works (and the window is usable before every page's imports have run).
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from vmi_desktop.scope import Action, Actor

if TYPE_CHECKING:
    from vmi_desktop.ui.context import AppContext
    from vmi_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def _is_supplier(actor: Actor) -> bool:
    return actor.is_supplier


def _is_staff(actor: Actor) -> bool:
    """The customer's own people: a supplier plans in its workspace, never on the customer's worklist."""
    return not actor.is_supplier


#: (key, title, module, class, who sees the page: the action needed, a test of the actor, or None for all)
PAGE_SPECS: tuple[tuple[str, str, str, str, Action | Callable[[Actor], bool] | None], ...] = (
    ("supplier", "Supplier workspace", "supplier", "SupplierWorkspacePage", _is_supplier),
    ("dashboard", "Dashboard", "dashboard", "DashboardPage", None),
    ("worklist", "Replenishment worklist", "worklist", "WorklistPage", _is_staff),
    ("stock", "Stock", "stock", "StockPage", None),
    ("stock_forms", "Post stock", "stock_forms", "StockFormsPage", Action.POST_LEDGER),
    ("skus", "SKUs", "skus", "SkusPage", None),
    ("vendors", "Vendors", "vendors", "VendorsPage", None),
    ("locations", "Locations", "locations", "LocationsPage", None),
    ("agreements", "Agreements & thresholds", "agreements", "AgreementsPage", None),
    ("orders", "Purchase orders", "orders", "OrdersPage", None),
    ("alerts", "Alerts", "alerts", "AlertsPage", None),
    ("part", "Part", "part", "PartPage", None),
    ("audit", "Audit log", "audit", "AuditPage", Action.VIEW_AUDIT),
    ("users", "Users", "users", "UsersPage", Action.MANAGE_USERS),
)


def build_pages(ctx: AppContext, window: MainWindow) -> list[tuple[str, str, Callable[[], QWidget]]]:
    """Factories of the pages the user may see, in order: each page is imported and built when first shown.

    A page whose module cannot load shows a one-line explanation instead, and the rest of the app works.
    """
    pages: list[tuple[str, str, Callable[[], QWidget]]] = []
    for key, title, module_name, class_name, needed in PAGE_SPECS:
        if needed is not None and not (ctx.can(needed) if isinstance(needed, Action) else needed(ctx.actor)):
            continue
        pages.append((key, title, functools.partial(_build, ctx, key, module_name, class_name)))
    return pages


def _build(ctx: AppContext, key: str, module_name: str, class_name: str) -> QWidget:
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        log.error("page %s is not available: %s", key, exc)
        return QLabel(f"This page is not available: {exc}")
    widget: QWidget = cls(ctx)
    return widget
