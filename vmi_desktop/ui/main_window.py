"""The main window: navigation between pages, shared actions, status bar, remembered layout."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.identity import preview_note
from vmi_desktop.models import Role
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

SETTINGS_ORG = "VMI Desktop"
SETTINGS_APP = "vmi-desktop"


def window_settings() -> QSettings:
    """The per-user settings file of the UI (tests redirect it with ``QSettings.setPath``)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, SETTINGS_ORG, SETTINGS_APP)


#: Optional page hooks the shared actions call on the current page: (attribute, action text, shortcut).
PAGE_HOOKS: tuple[tuple[str, str, QKeySequence.StandardKey | str], ...] = (
    ("refresh", "&Refresh", QKeySequence.StandardKey.Refresh),
    ("find", "&Find…", QKeySequence.StandardKey.Find),
    ("save", "&Save changes", QKeySequence.StandardKey.Save),
    ("undo", "&Undo last edit", QKeySequence.StandardKey.Undo),
    ("export_table", "E&xport table…", "Ctrl+E"),
    ("print_table", "&Print table…", QKeySequence.StandardKey.Print),
)


def page_allows(page: QWidget | None, hook: str) -> bool:
    """Whether the page lets ``hook`` act now (a read-only view for this role refuses Save, Undo, Discard)."""
    allows = page_hook(page, "allows")
    return True if allows is None else bool(allows(hook))  # type: ignore[call-arg]


def _stock_forms_menu() -> tuple[tuple[str, str, str], ...]:
    from vmi_desktop.ui.forms import FORMS  # a tiny module: the page itself is built when first used

    return FORMS


#: Menus pages bring, there from the start: page key -> (menu title, (form, entry text, shortcut) entries).
PAGE_MENUS: dict[str, tuple[str, Callable[[], tuple[tuple[str, str, str], ...]]]] = {
    "stock_forms": ("&Stock", _stock_forms_menu),
}

#: Hooks that act on the page's table: in the File menu, not the toolbar.
_FILE_HOOKS = ("export_table", "print_table")


def page_hook(page: QWidget | None, hook: str) -> Callable[[], object] | None:
    """The page's own ``hook`` method, ignoring Qt's (``QWidget.find`` is a static Qt method)."""
    if page is None:
        return None
    for klass in type(page).__mro__:
        if klass.__module__.startswith(("PySide6", "shiboken6")) or klass is object:
            return None
        if hook in klass.__dict__:
            fn = getattr(page, hook)
            return fn if callable(fn) else None
    return None


class MainWindow(QMainWindow):
    """Pages on the right, a navigation list on the left; actions act on the current page.

    Pages are plain widgets; they may implement ``refresh()``, ``find()``,
    ``save()``, ``undo()`` and ``discard()`` (the menu and toolbar call them),
    ``save_state(QSettings)`` / ``restore_state(QSettings)`` for column
    layouts, a ``status_message`` signal (str) for the status bar, and a
    ``part_requested`` signal (sku_id: int, location_id: int | None) that opens
    the part page (``open_part``).

    A page may be added as a factory: it is built the first time it is shown
    (or asked for with ``page``), so the window is usable before every page's
    imports and first queries have run.

    The parts manager starts on the replenishment worklist, everyone else on the
    first page.
    """

    #: The part page was opened: (sku_id, location_id or None).
    part_opened = Signal(int, object)

    def __init__(self, ctx: AppContext, *, build: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("VMI Desktop")
        self._pages: dict[str, QWidget] = {}
        self._factories: dict[str, Callable[[], QWidget]] = {}
        self._keys: list[str] = []
        #: Ask before closing with unsaved edits (tests turn it off).
        self.confirm_unsaved = True

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setMaximumWidth(260)
        self.stack = QStackedWidget()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        #: Says what a preview is (a parts manager's "view as supplier", or a non-manager on SQLite).
        self.preview_banner = QLabel(preview_note(ctx.actor))
        self.preview_banner.setObjectName("previewBanner")
        self.preview_banner.setWordWrap(True)
        self.preview_banner.setStyleSheet(
            "QLabel#previewBanner { background: #fff3c4; color: #5c4400; padding: 6px 10px; "
            "border-bottom: 1px solid #e0c060; }"
        )
        self.preview_banner.setVisible(bool(self.preview_banner.text()))
        column.addWidget(self.preview_banner)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self._on_nav_changed)
        #: Preview windows opened from this one ("View as supplier…"), kept alive while shown.
        self.previews: list[MainWindow] = []

        self.actions_by_hook: dict[str, QAction] = {}
        #: menus pages bring (the Stock menu of the stock forms), by page key
        self.page_menus: dict[str, QMenu] = {}
        self._build_actions()
        self._build_status_bar()

        if build:
            from vmi_desktop.ui.pages import build_pages

            for key, title, widget in build_pages(ctx, self):
                self.add_page(key, title, widget)
        self._restore_window_state()
        if self._keys:
            self.show_page(self.start_page())

    # -- pages -------------------------------------------------------------------------------

    def add_page(
        self, key: str, title: str, widget: QWidget | Callable[[], QWidget], shortcut: str | None = None
    ) -> None:
        """Add a navigation entry (in insertion order); Ctrl+1..9 by default for the first nine.

        ``widget`` may be a factory, called when the page is first shown.
        """
        if key in self._pages or key in self._factories:
            raise ValueError(f"page {key!r} already added")
        self._keys.append(key)
        if isinstance(widget, QWidget):
            self._pages[key] = widget
            self.stack.addWidget(widget)
            self._wire(key, widget)
        else:
            self._factories[key] = widget
            placeholder = QWidget()
            placeholder.setObjectName(f"placeholder:{key}")
            self.stack.addWidget(placeholder)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)
        if shortcut is None and len(self._keys) <= 9:
            shortcut = f"Ctrl+{len(self._keys)}"
        action = QAction(title, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False, k=key: self.show_page(k))
        self.go_menu.addAction(action)
        if key in PAGE_MENUS:
            self._add_page_menu(key)

    def _add_page_menu(self, key: str) -> None:
        """A page's own menu, there from the start: an entry builds the page if needed and opens its form."""
        title, entries = PAGE_MENUS[key]
        menu = QMenu(title, self)
        menu.setObjectName(f"{key}Menu")
        for form, text, keys in entries():
            entry = menu.addAction(text)
            entry.setShortcut(QKeySequence(keys))
            entry.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            entry.triggered.connect(lambda _checked=False, f=form: self.open_form(key, f))
        self.menuBar().insertMenu(self.go_menu.menuAction(), menu)
        self.page_menus[key] = menu

    def open_form(self, key: str, form: str) -> QWidget | None:
        """Show page ``key`` with its form ``form`` in front (the Stock menu's entries)."""
        self.show_page(key)
        opener = getattr(self.page(key), "open_form", None)
        return opener(form) if callable(opener) else None

    def _wire(self, key: str, widget: QWidget) -> None:
        changed = getattr(widget, "actions_changed", None)
        if changed is not None and hasattr(changed, "connect"):
            changed.connect(lambda w=widget: self._update_actions() if self.current_page() is w else None)
        signal = getattr(widget, "status_message", None)
        if signal is not None and hasattr(signal, "connect"):
            signal.connect(self.show_message)
        notice = getattr(widget, "notice", None)
        if notice is not None and hasattr(notice, "connect"):
            notice.connect(self.tray_notice)
        wants_part = getattr(widget, "part_requested", None)
        if wants_part is not None and hasattr(wants_part, "connect"):
            wants_part.connect(self.open_part)
        restore = getattr(widget, "restore_state", None)
        if callable(restore):
            settings = window_settings()
            try:
                restore(settings)
            except Exception:  # a corrupt layout must never keep the app from starting
                log.exception("could not restore the layout of page %s", key)

    def show_page(self, key: str) -> None:
        """Make the page ``key`` current."""
        self.nav.setCurrentRow(self._keys.index(key))

    def start_page(self) -> str:
        """The page shown at start: the worklist for whoever orders (the parts manager), the stock forms
        for a warehouse lead, else the first."""
        if self.ctx.actor.role is Role.WAREHOUSE_LEAD and "stock_forms" in self._keys:
            return "stock_forms"
        if "worklist" in self._keys and self.ctx.can(Action.CREATE_ORDER):
            return "worklist"
        return self._keys[0]

    def open_part(self, sku_id: int, location_id: int | None = None) -> QWidget:
        """Show the part page of ``sku_id`` (the row of ``location_id`` first when given) and return it.

        The one way to a part from anywhere: pages emit ``part_requested`` (connected by ``add_page``)
        or call ``vmi_desktop.ui.part_page.open_part``. A window built without pages gets the part
        page on first use.
        """
        from vmi_desktop.ui.pages.part import PartPage

        if "part" not in self._keys:
            self.add_page("part", "Part", PartPage(self.ctx), shortcut="")
        page = self.page("part")
        assert isinstance(page, PartPage)
        page.show_part(sku_id, location_id)
        self.show_page("part")
        self.part_opened.emit(sku_id, location_id)
        return page

    def page(self, key: str) -> QWidget:
        """The widget of page ``key`` (built now if it was added as a factory)."""
        if key not in self._pages:
            self._build_page(key)
        return self._pages[key]

    def built_pages(self) -> dict[str, QWidget]:
        """The pages built so far (the others have not been shown yet)."""
        return dict(self._pages)

    def _build_page(self, key: str) -> None:
        factory = self._factories.pop(key)
        index = self._keys.index(key)
        placeholder = self.stack.widget(index)
        widget = factory()
        self._pages[key] = widget
        current = self.stack.currentIndex() == index
        self.stack.insertWidget(index, widget)
        if placeholder is not None:
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
        if current:
            self.stack.setCurrentIndex(index)
        self._wire(key, widget)

    def page_keys(self) -> list[str]:
        """Keys of the pages, in navigation order."""
        return list(self._keys)

    def current_page(self) -> QWidget | None:
        """The page shown now."""
        key = self.current_key()
        return self._pages.get(key) if key is not None else None

    def current_key(self) -> str | None:
        """The key of the page shown now."""
        row = self.nav.currentRow()
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def _on_nav_changed(self, row: int) -> None:
        if 0 <= row < len(self._keys):
            self.stack.setCurrentWidget(self.page(self._keys[row]))
        self._update_actions()

    # -- actions -----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        edit_menu = menu_bar.addMenu("&Edit")
        view_menu = menu_bar.addMenu("&View")
        self.go_menu = menu_bar.addMenu("&Go")
        help_menu = menu_bar.addMenu("&Help")
        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        self.addToolBar(self.toolbar)
        for hook, text, key in PAGE_HOOKS:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, h=hook: self.call_page(h))
            self.actions_by_hook[hook] = action
            if hook not in _FILE_HOOKS:
                self.toolbar.addAction(action)
        discard = QAction("&Discard changes", self)
        discard.triggered.connect(lambda _checked=False: self.call_page("discard"))
        self.actions_by_hook["discard"] = discard
        self.toolbar.addAction(discard)
        self.import_action = QAction("&Import…", self)
        self.import_action.setObjectName("importAction")
        self.import_action.triggered.connect(self.open_import)
        self.import_action.setEnabled(self.ctx.can(Action.EDIT_MASTER_DATA) or self.ctx.can(Action.POST_LEDGER))
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.actions_by_hook["save"])
        file_menu.addAction(discard)
        file_menu.addSeparator()
        file_menu.addAction(self.actions_by_hook["export_table"])
        file_menu.addAction(self.actions_by_hook["print_table"])
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        edit_menu.addAction(self.actions_by_hook["undo"])
        edit_menu.addAction(self.actions_by_hook["find"])
        view_menu.addAction(self.actions_by_hook["refresh"])
        self.preview_action = QAction("View as &supplier…", self)
        self.preview_action.setObjectName("viewAsSupplier")
        self.preview_action.setToolTip("A read-only window showing exactly what one vendor's users see")
        self.preview_action.triggered.connect(lambda _checked=False: self.choose_supplier_preview())
        self.preview_action.setVisible(self.ctx.can(Action.MANAGE_USERS))
        view_menu.addSeparator()
        view_menu.addAction(self.preview_action)
        about = QAction("&About VMI Desktop", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def open_import(self) -> QWidget:
        """File > Import...: master data or history from a CSV or XLSX file (a non-modal dialog)."""
        from vmi_desktop.ui.dialogs.import_file import ImportDialog

        dialog = ImportDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def call_page(self, hook: str) -> bool:
        """Call ``hook()`` on the current page if it has it; True when called."""
        fn = page_hook(self.current_page(), hook)
        if fn is None:
            return False
        fn()
        return True

    def _update_actions(self) -> None:
        page = self.current_page()
        for hook, action in self.actions_by_hook.items():
            action.setEnabled(page_hook(page, hook) is not None and page_allows(page, hook))

    def _about(self) -> None:
        from vmi_desktop.ui.about import show_about

        show_about(self, self.ctx.db.display_name(), self.ctx.settings)

    # -- status bar --------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        actor = self.ctx.actor
        role = actor.role.value.replace("_", " ")
        # short texts, full ones in the tooltips: the messages keep the width of the bar
        self.db_label = QLabel(f"DB: {self.ctx.db.short_name()}")
        self.db_label.setToolTip(f"Database: {self.ctx.db.display_name()}")
        preview = " · preview, read-only" if actor.preview else ""
        self.user_label = QLabel(f"{actor.name} · {role}{preview}")
        signed_in = f"signed in as {actor.login}" if actor.login else f"signed in as {actor.name}"
        self.user_label.setToolTip(f"{actor.name} ({role}{preview}), {signed_in}")
        bar.addPermanentWidget(self.db_label)
        bar.addPermanentWidget(self.user_label)
        #: the last message in full (what the status bar shows may be shortened to fit)
        self.last_message = ""

    def choose_supplier_preview(self) -> None:
        """Ask which vendor, then open the preview of what its users see."""
        from vmi_desktop.ui.preview import VendorPicker

        picker = VendorPicker(self.ctx, self)
        picker.accepted.connect(lambda: self.open_supplier_preview(picker.vendor_id) if picker.vendor_id else None)
        picker.open()

    def open_supplier_preview(self, vendor_id: int) -> MainWindow:
        """A read-only window of exactly what vendor ``vendor_id``'s users see (parts managers)."""
        from vmi_desktop.ui.preview import open_preview

        window = open_preview(self.ctx, vendor_id)
        self.previews.append(window)
        window.destroyed.connect(lambda _obj=None, w=window: self.previews.remove(w) if w in self.previews else None)
        return window

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        """A transient status bar message (save results, what was posted).

        A message wider than the bar is shortened at a word with "…" and kept whole in the bar's
        tooltip and ``last_message``; reasons that must stay visible belong on the page (the
        table's message bar, the Sync page), not here.
        """
        bar = self.statusBar()
        self.last_message = text
        room = bar.width() - self.db_label.width() - self.user_label.width() - 48
        metrics = bar.fontMetrics()
        shown = text
        if room > 80 and metrics.horizontalAdvance(text) > room:
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
            cut = shown.rstrip("…").rsplit(" ", 1)[0]
            shown = cut.rstrip(",;:") + " …"
        bar.setToolTip(text if shown != text else "")
        bar.showMessage(shown, timeout_ms)

    def tray_notice(self, title: str, body: str) -> None:
        """A desktop notice (the tray of the Alerts page's notifier; the status bar when there is none)."""
        alerts = self.page("alerts") if "alerts" in self._keys else None
        notifier = getattr(alerts, "notifier", None)
        if notifier is not None and hasattr(notifier, "notice"):
            notifier.notice(title, body)
        else:
            self.show_message(title)

    # -- navigation to what a row names ----------------------------------------------------------

    def open_order(self, po_id: int) -> bool:
        """Show the Purchase orders page with ``po_id`` selected (all statuses shown if it is closed)."""
        if "orders" not in self._keys:
            return False
        self.show_page("orders")
        page = self.page("orders")
        select = getattr(page, "select_order", None)
        if select is None:
            return False
        if select(po_id):
            return True
        page.set_statuses(None)  # type: ignore[attr-defined]
        return bool(select(po_id))

    # -- remembered layout -------------------------------------------------------------------

    def _restore_window_state(self) -> None:
        settings = window_settings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([180, max(self.width() - 180, 400)])

    def save_layout(self) -> None:
        """Write geometry, splitter and each page's column layout to QSettings."""
        settings = window_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/splitter", self.splitter.saveState())
        for key, widget in self._pages.items():
            save = getattr(widget, "save_state", None)
            if callable(save):
                try:
                    save(settings)
                except Exception:
                    log.exception("could not save the layout of page %s", key)
        settings.sync()

    def has_unsaved_changes(self) -> bool:
        """Whether any page holds edits not yet saved."""
        return any(bool(fn()) for w in self._pages.values() if (fn := page_hook(w, "has_pending")) is not None)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.confirm_unsaved and self.has_unsaved_changes():
            from PySide6.QtWidgets import QMessageBox  # not needed before the first paint

            answer = QMessageBox.question(
                self,
                "Unsaved changes",
                "Some tables have edits that are not saved. Quit and discard them?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.save_layout()
        super().closeEvent(event)
