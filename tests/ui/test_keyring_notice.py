"""A start without a usable keyring: no scheduled sync failing every minute, one clear notice instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from vmi_desktop.secrets import CredentialStore, NoSecureKeyringError
from vmi_desktop.ui.app import KEYRING_NOTICE, install_sync, keyring_problem
from vmi_desktop.ui.sync_worker import store_for_settings


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Secret Service (a bus address nobody listens on) and no forced backend: as on a bare server."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    if keyring_problem(CredentialStore(config_dir=tmp_path / "probe", data_dir=tmp_path / "probe")) is None:
        pytest.skip("a secure keyring backend is usable here even without a session bus")


def _notices() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.objectName() == "keyringNotice"
    ]


def test_without_a_keyring_sync_does_not_start_and_says_why_once(qtbot, no_keyring: None, make_window, ctx) -> None:
    assert isinstance(keyring_problem(store_for_settings(ctx.settings)), NoSecureKeyringError)
    window = make_window(ctx)
    install_sync(window, ctx)
    page = window.page("sync")
    assert not page.scheduler.running
    (notice,) = _notices()
    assert notice.isVisible() and notice.text() == KEYRING_NOTICE
    assert "Use an encrypted file" in notice.text() and "keyring" in window.statusBar().currentMessage()
    notice.close()
    page.shutdown()

    second = make_window(ctx)  # the next start: status bar only, no second dialog
    install_sync(second, ctx)
    assert not [n for n in _notices() if n.isVisible()]
    assert "keyring" in second.statusBar().currentMessage()
    second.page("sync").shutdown()


def test_sync_starts_by_itself_once_the_encrypted_file_is_chosen(qtbot, no_keyring: None, make_window, ctx) -> None:
    window = make_window(ctx)
    install_sync(window, ctx)
    page = window.page("sync")
    assert not page.scheduler.running
    store_for_settings(ctx.settings).use_encrypted_file("correct horse", kdf_time_cost=1, kdf_memory_cost=1024)
    qtbot.waitUntil(lambda: page.scheduler.running, timeout=6000)
    page.shutdown()
