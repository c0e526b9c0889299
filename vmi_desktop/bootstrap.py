"""Opening the app's database: connect (password from the keyring, TLS checked), migrate, identify the user."""

from __future__ import annotations

import logging

from vmi_desktop.config import Settings, current_os_user
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.engine import PasswordSource
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.db.tls import check_tls
from vmi_desktop.identity import login as identify
from vmi_desktop.scope import Actor
from vmi_desktop.secrets import CredentialStore, KeyringError, default_store

log = logging.getLogger(__name__)


def keyring_passwords(store: CredentialStore | None = None) -> PasswordSource:
    """A password source for ``create_database``: the login's password from the OS keyring, if kept there.

    A keyring that is missing, locked or declines is not an error here: libpq then reads ``~/.pgpass``
    (or the connection is refused with a sentence saying how to store the password).
    """

    def find(host: str, port: int, database: str, login: str) -> str | None:
        chosen = store or default_store()
        try:
            return chosen.get_login_password(host, port, database, login or current_os_user())
        except KeyringError as exc:
            log.info("no database password from the keyring (%s); libpq will look in ~/.pgpass", exc)
            return None

    return find


def connect(settings: Settings, store: CredentialStore | None = None) -> Database:
    """The configured database, not migrated; a remote PostgreSQL server without TLS is refused."""
    url = settings.effective_database_url
    check_tls(url)
    return create_database(url, password=keyring_passwords(store))


def open_database(settings: Settings, store: CredentialStore | None = None) -> Database:
    """The configured database, upgraded to this app's schema (or a clear refusal)."""
    db = connect(settings, store)
    try:
        result = upgrade_database(db)
    except Exception:
        db.dispose()
        raise
    if result.from_revision != result.to_revision:
        log.info("schema %s -> %s (backup: %s)", result.from_revision, result.to_revision, result.backup)
    return db


def login(db: Database, settings: Settings) -> Actor:
    """The acting user: who the database login is (PostgreSQL), or the data folder's owner (SQLite)."""
    return identify(db, settings)
