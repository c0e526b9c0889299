"""The way to a part from anywhere in the window: ``open_part`` and a view hook for tables.

Any table whose rows name a SKU opens the part page on double-click or Enter (Qt's ``activated``)::

    from vmi_desktop.ui.part_page import connect_part_opening, open_part

    open_part(self, sku_id, location_id)           # from any widget inside the main window
    connect_part_opening(view, self, lambda index: (sku_id, location_id) or None)

Inside a ``MainWindow`` the part page is one of its pages (``MainWindow.open_part``); given an
``AppContext`` and no window (a dialog of its own, a test) it opens as a window of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QWidget

from vmi_desktop.ui.context import AppContext

if TYPE_CHECKING:
    from vmi_desktop.ui.main_window import MainWindow
    from vmi_desktop.ui.pages.part import PartPage

#: What a view's row says about its part: (sku_id, location_id or None), or None when it names none.
PartOfRow = Callable[[QModelIndex], tuple[int, int | None] | None]


def main_window_of(widget: QObject | None) -> MainWindow | None:
    """The ``MainWindow`` a widget lives in (through parents, so a dialog of a page finds it too)."""
    from vmi_desktop.ui.main_window import MainWindow

    node = widget
    while node is not None:
        if isinstance(node, MainWindow):
            return node
        if isinstance(node, QWidget) and isinstance(node.window(), MainWindow):
            return node.window()  # type: ignore[return-value]
        node = node.parent()
    return None


def open_part(target: QWidget | AppContext, sku_id: int, location_id: int | None = None) -> PartPage:
    """Open the part page of ``sku_id`` (with the row of ``location_id`` current when given).

    ``target`` is any widget inside the main window (the window itself included), or an
    ``AppContext`` when there is no window: the page then opens as a top-level window, kept
    alive by the context's part windows until it is closed.
    """
    from vmi_desktop.ui.pages.part import PartPage

    window = main_window_of(target) if isinstance(target, QWidget) else None
    if window is not None:
        page = window.open_part(sku_id, location_id)
        assert isinstance(page, PartPage)
        return page
    ctx = target if isinstance(target, AppContext) else getattr(target, "ctx", None)
    if not isinstance(ctx, AppContext):
        raise TypeError("open_part needs a widget inside the main window, or an AppContext")
    page = PartPage(ctx)
    page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    page.setWindowTitle("Part — VMI Desktop")
    page.resize(1100, 750)
    page.show_part(sku_id, location_id)
    page.show()
    return page


def connect_part_opening(view: QAbstractItemView, owner: QWidget, part_of: PartOfRow) -> None:
    """Double-click or Enter on a row of ``view`` opens its part (rows ``part_of`` answers None for are ignored).

    ``activated`` is what Qt emits for both (a double-click that starts a cell editor does not
    activate, so editable cells keep editing on double-click and open the part on Enter).
    """

    def activated(index: QModelIndex) -> None:
        if not index.isValid():
            return
        part = part_of(index)
        if part is not None:
            open_part(owner, part[0], part[1])

    view.activated.connect(activated)
