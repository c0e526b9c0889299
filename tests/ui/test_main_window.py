"""The main window: navigation, shared actions on the current page, status bar, remembered layout."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow, window_settings

MakeCtx = Callable[[Actor], AppContext]
MakeWindow = Callable[[AppContext], MainWindow]


class _HookPage(QWidget):
    """A page with the optional hooks, recording which were called."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.search = QLineEdit(self)

    def refresh(self) -> None:
        self.calls.append("refresh")

    def find(self) -> None:  # type: ignore[override]  # the window's Ctrl+F hook, not Qt's static QWidget.find
        self.calls.append("find")

    def save(self) -> None:
        self.calls.append("save")

    def undo(self) -> None:
        self.calls.append("undo")


def test_status_bar_shows_database_without_password_and_user_role(main_window: MainWindow) -> None:
    path = main_window.ctx.db.sqlite_path
    assert path is not None
    assert main_window.db_label.text() == f"DB: {path.name}"  # short: the messages keep the room
    assert main_window.ctx.db.display_name() in main_window.db_label.toolTip()
    assert main_window.user_label.text() == "pm · parts manager"


def test_a_long_status_message_is_shortened_at_a_word_and_kept_whole(main_window: MainWindow) -> None:
    main_window.resize(1024, 640)
    text = "Saved 3 change(s) in 2 row(s). " * 12 + "The end."
    main_window.show_message(text)
    shown = main_window.statusBar().currentMessage()
    assert shown.endswith(" …") and len(shown) < len(text)
    assert text.startswith(shown[:-2])  # cut between words, never mid-word
    assert shown[:-2].split(" ")[-1] in text.split(" ")
    assert main_window.last_message == text and main_window.statusBar().toolTip() == text


def test_pages_appear_in_navigation_order_and_no_sync_page(main_window: MainWindow) -> None:
    keys = main_window.page_keys()
    mine = [k for k in keys if k in {"stock", "skus", "vendors", "locations", "agreements", "audit"}]
    assert mine == ["stock", "skus", "vendors", "locations", "agreements", "audit"]
    assert "sync" not in keys
    assert keys.index("stock") < keys.index("audit")


def test_add_page_and_shared_actions_call_the_current_page(main_window: MainWindow) -> None:
    page = _HookPage()
    main_window.add_page("hooks", "Hooks", page, shortcut="Ctrl+Shift+H")
    main_window.show_page("hooks")
    assert main_window.page("hooks") is page
    assert main_window.current_key() == "hooks"
    for hook in ("refresh", "find", "save", "undo"):
        main_window.actions_by_hook[hook].trigger()
    assert page.calls == ["refresh", "find", "save", "undo"]
    assert not main_window.actions_by_hook["discard"].isEnabled()


def test_actions_use_standard_shortcuts(main_window: MainWindow) -> None:
    shortcuts = {hook: a.shortcut().toString() for hook, a in main_window.actions_by_hook.items()}
    assert shortcuts["save"] == "Ctrl+S"
    assert shortcuts["find"] == "Ctrl+F"
    assert shortcuts["refresh"] == "F5"
    assert shortcuts["undo"] == "Ctrl+Z"


def test_supplier_does_not_get_the_audit_page(
    make_ctx: MakeCtx, make_window: MakeWindow, supplier_actor: Actor
) -> None:
    window = make_window(make_ctx(supplier_actor))
    assert "audit" not in window.page_keys()
    assert "stock" in window.page_keys()


def test_geometry_and_splitter_are_remembered(ctx: AppContext, make_window: MakeWindow) -> None:
    window = make_window(ctx)
    window.resize(790, 502)
    window.splitter.setSizes([130, sum(window.splitter.sizes()) - 130])
    saved = window.splitter.sizes()
    assert saved[0] == 130
    # whatever the pages' minimum sizes allow is what must come back
    window.close()
    settings = window_settings()
    assert settings.value("window/geometry") is not None
    assert settings.format() == QSettings.Format.IniFormat
    again = make_window(ctx)
    assert again.width() == 790
    assert again.splitter.sizes() == saved


def test_a_page_without_hooks_disables_the_shared_actions(main_window: MainWindow) -> None:
    plain = QWidget()
    main_window.add_page("plain", "Plain", plain)
    main_window.show_page("plain")
    for hook in ("refresh", "find", "save", "undo", "discard"):
        assert not main_window.actions_by_hook[hook].isEnabled(), hook  # QWidget.find is Qt's, not a page hook
        assert main_window.call_page(hook) is False
    main_window.show_page("stock")
    assert main_window.actions_by_hook["find"].isEnabled()


def test_dark_palette_is_dark_and_cell_colours_exist_for_both_schemes(qapp: QApplication) -> None:
    from PySide6.QtGui import QPalette

    from vmi_desktop.ui.palette import cell_colors, dark_palette

    palette = dark_palette()
    assert palette.color(QPalette.ColorRole.Window).lightness() < 80
    assert palette.color(QPalette.ColorRole.Text).lightness() > 200
    colours = cell_colors()
    assert set(colours) == {"error", "dirty", "conflict"}
    assert len({c.name() for c in colours.values()}) == 3
