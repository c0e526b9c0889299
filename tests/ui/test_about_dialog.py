"""Help > About shows version, database (never its password), data and log folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from vmi_desktop import __version__
from vmi_desktop.config import Settings
from vmi_desktop.db import create_database
from vmi_desktop.logs import log_dir
from vmi_desktop.ui.about import AboutDialog


def test_about_shows_version_database_without_password_and_folders(qtbot, tmp_path: Path) -> None:
    db = create_database("postgresql://anna:pa55@db.example:5432/vmi")  # no connection is made
    settings = Settings(data_dir=tmp_path / "data", config_dir=tmp_path / "config")
    dialog = AboutDialog(db.display_name(), settings)
    qtbot.addWidget(dialog)
    values = {label: field.text() for label, field in dialog.values.items()}
    assert values["Version"] == __version__
    assert values["Database"] == "postgresql+psycopg://anna:***@db.example:5432/vmi"
    assert values["Data folder"] == str(tmp_path / "data")
    assert values["Log folder"] == str(log_dir())
    assert "pa55" not in dialog.text()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.text()
    assert f"Version: {__version__}" in dialog.text()
    db.dispose()


def test_help_about_in_the_main_window_opens_it_on_the_open_database(qtbot, main_window, ctx) -> None:
    seen: dict[str, str] = {}

    def inspect_and_close() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, AboutDialog):
            QTimer.singleShot(20, inspect_and_close)
            return
        seen.update({label: field.text() for label, field in dialog.values.items()})
        dialog.reject()

    QTimer.singleShot(20, inspect_and_close)
    (about,) = next(a for a in main_window.menuBar().actions() if a.text() == "&Help").menu().actions()
    about.trigger()
    assert seen["Database"] == ctx.db.display_name()
    assert seen["Data folder"] == str(ctx.settings.data_dir)


def test_the_log_folder_shown_is_the_one_logs_go_to(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VMI_LOG_DIR", str(tmp_path / "site-logs"))
    dialog = AboutDialog("sqlite:///x", Settings(data_dir=tmp_path, config_dir=tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.values["Log folder"].text() == str(tmp_path / "site-logs")
