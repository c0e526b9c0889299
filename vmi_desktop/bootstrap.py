"""Opening the app's database: connect (password from the keyring, TLS checked), migrate, identify the user."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from vmi_desktop.config import Settings, current_os_user
from vmi_desktop.db import Database, DatabaseError, DbProblem, create_database
from vmi_desktop.db.engine import PasswordSource, normalise_url
from vmi_desktop.db.errors import LOGIN_REFUSED, login_refused
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.db.tls import check_tls
from vmi_desktop.identity import login as identify
from vmi_desktop.scope import Actor

if TYPE_CHECKING:
    from vmi_desktop.secrets import CredentialStore

log = logging.getLogger(__name__)


def keyring_passwords(store: CredentialStore | None = None) -> PasswordSource:
    """A password source for ``create_database``: the login's password from the OS keyring, if kept there.

    A keyring that is missing, locked or declines is not an error here: libpq then reads ``~/.pgpass``
    (or the connection is refused with a sentence saying how to store the password).
    """

    def find(host: str, port: int, database: str, login: str) -> str | None:
        # the keyring's backends are imported only when a server asks for a password (never for SQLite)
        from vmi_desktop.secrets import KeyringError, default_store

        chosen = store or default_store()
        try:
            return chosen.get_login_password(host, port, database, login or current_os_user())
        except KeyringError as exc:
            log.info("no database password from the keyring (%s); libpq will look in ~/.pgpass", exc)
            return None

    return find


def connect(
    settings: Settings, store: CredentialStore | None = None, *, password: PasswordSource | None = None
) -> Database:
    """The configured database, not migrated; a remote PostgreSQL server without TLS is refused.

    The login's password comes from ``password`` when given (typed at a prompt), else the OS keyring.
    """
    url = settings.effective_database_url
    check_tls(url)
    return create_database(url, password=password or keyring_passwords(store))


class LoginRefused(DatabaseError):
    """The PostgreSQL server refused the login (no password, a wrong one, a disabled user): ask for it."""

    def __init__(self, url: str) -> None:
        super().__init__(LOGIN_REFUSED, DbProblem.PERMISSION)
        parsed = make_url(normalise_url(url))
        self.login = parsed.username or current_os_user()
        self.host = parsed.host or ""
        self.port = int(parsed.port or 5432)
        self.database = parsed.database or ""


def open_database(
    settings: Settings, store: CredentialStore | None = None, *, password: PasswordSource | None = None
) -> Database:
    """The configured database, upgraded to this app's schema (or a clear refusal).

    Raises ``LoginRefused`` when the server refuses the login, so a window can ask for the password.
    """
    db = connect(settings, store, password=password)
    try:
        result = upgrade_database(db)
    except Exception as exc:
        db.dispose()
        if login_refused(exc) or (isinstance(exc, DatabaseError) and exc.__cause__ and login_refused(exc.__cause__)):
            raise LoginRefused(settings.effective_database_url) from exc
        raise
    if result.from_revision != result.to_revision:
        log.info("schema %s -> %s (backup: %s)", result.from_revision, result.to_revision, result.backup)
    return db


def login(db: Database, settings: Settings) -> Actor:
    """The acting user: who the database login is (PostgreSQL), or the data folder's owner (SQLite)."""
    return identify(db, settings)
