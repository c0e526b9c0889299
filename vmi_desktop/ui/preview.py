"""View as supplier X: a parts manager's read-only window of exactly what a vendor's users see.

It is the real window with the real pages, run for a preview actor (``scope.supplier_preview``): every
row comes through the same scope path as a supplier's own session, nothing is copied, and nothing can
be changed (the actor's role allows no change). The supplier workspace's Export writes what it shows.
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

from vmi_desktop.queries.catalog import vendor_choices
from vmi_desktop.scope import supplier_preview
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.widgets import ok_cancel_buttons


class PreviewWindow(MainWindow):
    """A main window for a preview actor; its layout is its own (the real window's is not overwritten)."""

    def __init__(self, ctx: AppContext, vendor_code: str) -> None:
        super().__init__(ctx)
        self.confirm_unsaved = False
        self.setWindowTitle(f"VMI Desktop — preview of {vendor_code} (read-only)")

    def _restore_window_state(self) -> None:
        self.resize(1200, 760)
        self.splitter.setSizes([180, 1020])

    def save_layout(self) -> None:
        """A preview remembers nothing: the user's own window keeps its layout."""

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ctx.close()
        super().closeEvent(event)


def open_preview(ctx: AppContext, vendor_id: int) -> PreviewWindow:
    """Show the preview of vendor ``vendor_id`` for the parts manager of ``ctx`` (refused for anyone else)."""
    with ctx.db.sessions() as session:
        codes = dict(vendor_choices(session, ctx.actor))
    code = codes.get(vendor_id, str(vendor_id))
    actor = supplier_preview(ctx.actor, vendor_id, code)
    preview_ctx = AppContext(db=ctx.db, actor=actor, settings=ctx.settings, runner=ctx.runner)
    window = PreviewWindow(preview_ctx, code)
    window.show()
    return window


class VendorPicker(QDialog):
    """Which vendor to preview."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("View as supplier")
        self.vendor_id: int | None = None
        self.combo = QComboBox()
        self.combo.setObjectName("vendor")
        with ctx.db.sessions() as session:
            for vendor_id, code in vendor_choices(session, ctx.actor):
                self.combo.addItem(code, vendor_id)
        form = QFormLayout()
        form.addRow("Vendor", self.combo)
        note = QLabel(
            "Opens a read-only window with exactly what this vendor's users see: its own agreements, stock, "
            "orders, alerts and scorecard, and nothing of any other vendor."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(ok_cancel_buttons(self, "Open preview"))

    def accept(self) -> None:
        self.vendor_id = self.combo.currentData()
        super().accept()
