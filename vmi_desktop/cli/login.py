"""``vmi-desktop login``: check your PostgreSQL login and keep its password in the OS keyring.

The database URL names the login (``postgresql://bob@db.example/vmi``) and never its password. After
``login`` succeeds the app (window and command line) finds the password in the keyring; without a
keyring, ``~/.pgpass`` serves the same purpose.
"""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from vmi_desktop.cli._common import settings_from
from vmi_desktop.cli.users import read_password
from vmi_desktop.config import current_os_user
from vmi_desktop.db import create_database
from vmi_desktop.db.engine import normalise_url
from vmi_desktop.db.tls import check_tls
from vmi_desktop.errors import ValidationError
from vmi_desktop.identity import login_postgresql
from vmi_desktop.secrets import default_store


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("login", help="check your PostgreSQL login and keep its password in the keyring")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    parser.add_argument("--forget", action="store_true", help="remove the stored password instead")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    url = make_url(normalise_url(settings.effective_database_url))
    if url.get_backend_name() != "postgresql":
        raise ValidationError("the built-in SQLite database has no logins: the OS account owning its folder signs in")
    login = url.username or current_os_user()
    host, port, database = url.host or "", int(url.port or 5432), url.database or ""
    store = default_store()
    if args.forget:
        store.delete_login_password(host, port, database, login)
        print(f"forgot the password of {login} at {host or 'local'}:{port}/{database}")
        return 0
    password = read_password(args.password_stdin, login)
    check_tls(settings.effective_database_url)
    db = create_database(settings.effective_database_url, password=lambda _h, _p, _d, _u: password)
    try:
        actor = login_postgresql(db, settings.username)
    finally:
        db.dispose()
    store.set_login_password(host, port, database, login, password)
    print(f"{login} is {actor.name} ({actor.role_text}); password kept in {store.backend_name}")
    return 0
