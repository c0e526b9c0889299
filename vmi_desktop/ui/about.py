"""Help > About: version, database, data and log folders, and a way to copy them for support."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop import APP_NAME, __version__
from vmi_desktop.config import Settings
from vmi_desktop.logs import log_dir, platform_summary
from vmi_desktop.ui.icon import app_icon


def about_details(database: str, settings: Settings) -> list[tuple[str, str]]:
    """The dialog's rows (label, value); the database is shown without any password."""
    info = platform_summary()
    return [
        ("Version", __version__),
        ("Database", database),
        ("Data folder", str(settings.data_dir)),
        ("Log folder", str(log_dir())),
        ("Settings folder", str(settings.config_dir)),
        ("Python", info["python"]),
        ("Qt", f"{qVersion()} (PySide6 {pyside_version})"),
        ("Platform", info["platform"]),
        ("Installed as", "self-contained bundle" if info["frozen"].startswith("yes") else "Python package"),
    ]


class AboutDialog(QDialog):
    """What IT asks for on the phone, selectable and copyable."""

    def __init__(self, database: str, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setObjectName("aboutDialog")
        self.details = about_details(database, settings)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<b>{APP_NAME} {__version__}</b><br>Vendor-managed inventory for spare parts.")
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addWidget(title, 1)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in self.details:
            field = QLabel(value)
            field.setObjectName(f"about{label.replace(' ', '')}")
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            self.values[label] = field
            form.addRow(f"{label}:", field)
        self.copy_button = QPushButton("&Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        self.logs_button = QPushButton("Open &log folder")
        self.logs_button.clicked.connect(self.open_log_folder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.logs_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def text(self) -> str:
        """The details as plain text, one per line (what Copy puts on the clipboard)."""
        return "\n".join(f"{label}: {value}" for label, value in self.details)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    def open_log_folder(self) -> None:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def show_about(parent: QWidget, database: str, settings: Settings) -> AboutDialog:
    """Open the About dialog (modal to the window)."""
    dialog = AboutDialog(database, settings, parent)
    dialog.exec()
    return dialog
