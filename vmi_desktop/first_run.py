"""First start: is a database chosen yet, testing a PostgreSQL server, and setting a database up.

The wizard in :mod:`vmi_desktop.ui.first_run` is a thin face on these steps,
which need no Qt and are tested on their own:

- :func:`needs_first_run`: no database named anywhere (command line,
  environment, site settings file) and no SQLite file in the data folder;
- :func:`probe_server`: connect, ask the server who we are
  (``SELECT current_user, version()``) and whether it already holds
  VMI Desktop's tables and users;
- :func:`write_pgpass`: the one place a typed PostgreSQL password is kept
  (``~/.pgpass``, or ``%APPDATA%\\postgresql\\pgpass.conf``; libpq reads it,
  so the CLI and the window both find it), never the settings;
- :func:`set_up_database`: migrate, create the first parts manager, load demo
  data or leave it empty, and remember the choice in the site settings.
"""

from __future__ import annotations

import enum
import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from vmi_desktop.config import DEFAULT_DB_FILENAME, Settings, current_os_user
from vmi_desktop.db import DatabaseError
from vmi_desktop.db.engine import normalise_url
from vmi_desktop.errors import ValidationError
from vmi_desktop.site_settings import SiteSettings, save_site_settings, url_without_password

log = logging.getLogger(__name__)

#: The module the file-import feature will provide; the wizard offers "import master data" once it exists.
IMPORTER_MODULE = "vmi_desktop.importer"
CONNECT_TIMEOUT_S = 8


class StartWith(enum.StrEnum):
    """What a new database starts with."""

    DEMO = "demo"
    EMPTY = "empty"
    IMPORT = "import"


def needs_first_run(settings: Settings) -> bool:
    """True when no database was chosen and the built-in SQLite file does not exist yet."""
    return not settings.database_url and not (settings.data_dir / DEFAULT_DB_FILENAME).exists()


def import_available() -> bool:
    """Whether master-data import exists in this build (``vmi_desktop.importer``)."""
    try:
        return importlib.util.find_spec(IMPORTER_MODULE) is not None
    except (ImportError, ValueError):
        return False


# -- PostgreSQL ----------------------------------------------------------------------------------


def parse_postgres_url(url: str, password: str = "") -> tuple[URL, str]:
    """The server URL (password removed) and the password to use: the typed one, else the URL's.

    Raises :class:`ValidationError` for anything that is not a PostgreSQL URL with a host.
    """
    url = url.strip()
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise ValidationError("That is not a PostgreSQL URL; expected postgresql://user@host:5432/dbname") from None
    if parsed.get_backend_name() != "postgresql":
        raise ValidationError(f"Expected a PostgreSQL URL (postgresql://...), not {parsed.get_backend_name()}://")
    if not parsed.host or not parsed.database:
        raise ValidationError("The URL needs a host and a database name: postgresql://user@host:5432/dbname")
    # URL is a named tuple; URL.set(password=None) would leave the password as it is.
    return parsed._replace(password=None), password or (parsed.password or "")


@dataclass(frozen=True)
class ServerIdentity:
    """What the server says about the connection, and whether VMI Desktop is already set up there."""

    user: str
    version: str
    database: str
    has_schema: bool
    usernames: tuple[str, ...] = ()

    @property
    def short_version(self) -> str:
        """``PostgreSQL 16.4`` out of the long ``version()`` text."""
        return " ".join(self.version.split()[:2])


def _connect_args(password: str) -> dict[str, object]:
    args: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "vmi-desktop"}
    if password:
        args["password"] = password
    return args


def _connection_error(url: URL, exc: DBAPIError) -> DatabaseError:
    first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
    return DatabaseError(f"Could not connect to {url.render_as_string(hide_password=True)}: {first}")


def probe_server(url: str, password: str = "") -> ServerIdentity:
    """Connect once and ask the server who we are; the password is used for this call only."""
    server, secret = parse_postgres_url(url, password)
    engine = create_engine(server, poolclass=NullPool, connect_args=_connect_args(secret))
    try:
        with engine.connect() as conn:
            user, version, database = conn.execute(text("SELECT current_user, version(), current_database()")).one()
            has_schema = conn.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
            names: tuple[str, ...] = ()
            if has_schema and conn.scalar(text("SELECT to_regprocedure('public.vmi_session_user()') IS NOT NULL")):
                # row-level security: a login reads only its own user (the login is who it is)
                names = tuple(conn.scalars(text("SELECT username FROM vmi_session_user() WHERE active")))
            elif has_schema and conn.scalar(text("SELECT to_regclass('users') IS NOT NULL")):
                names = tuple(conn.scalars(text("SELECT username FROM users WHERE active ORDER BY username LIMIT 50")))
    except DBAPIError as exc:
        raise _connection_error(server, exc) from None
    finally:
        engine.dispose()
    return ServerIdentity(
        user=str(user), version=str(version), database=str(database), has_schema=bool(has_schema), usernames=names
    )


def pgpass_path() -> Path:
    """The password file libpq reads: ``$PGPASSFILE``, else the platform's default."""
    override = os.environ.get("PGPASSFILE")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", str(Path.home()))) / "postgresql" / "pgpass.conf"
    return Path.home() / ".pgpass"


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def write_pgpass(url: str, password: str, path: Path | None = None) -> Path:
    """Keep ``password`` for the URL's host, port, database and user in the pgpass file (mode 0600).

    An existing line for the same four fields is replaced; other lines are kept as they are.
    """
    server, _ = parse_postgres_url(url)
    if not password:
        raise ValidationError("No password to keep.")
    if not server.username:
        raise ValidationError("A password can only be kept for a URL that names the user (postgresql://user@host/db).")
    fields = [server.host or "localhost", str(server.port or 5432), server.database or "*", server.username]
    prefix = ":".join(_pgpass_field(f) for f in fields) + ":"
    target = path or pgpass_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    if target.exists():
        lines = [line for line in target.read_text(encoding="utf-8").splitlines() if not line.startswith(prefix)]
    lines.append(prefix + _pgpass_field(password))
    # Created with 0600 from the start: libpq ignores a password file others can read.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    if sys.platform != "win32":
        os.chmod(target, 0o600)
    log.info("kept the PostgreSQL password for %s in %s", server.render_as_string(hide_password=True), target)
    return target


# -- setting up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupRequest:
    """The wizard's answers. ``database_url`` empty means the built-in SQLite file."""

    manager: str
    start: StartWith = StartWith.EMPTY
    database_url: str = ""
    password: str = ""
    demo_skus: int = 500
    demo_days: int = 730


@dataclass(frozen=True)
class SetupResult:
    """The settings to start the app with, and what was done."""

    settings: Settings
    start: StartWith
    created_manager: bool
    demo_loaded: bool
    settings_file: Path | None


Progress = Callable[[str, float], None]


def set_up_database(settings: Settings, request: SetupRequest, progress: Progress | None = None) -> SetupResult:
    """Create (migrate) the chosen database, its first parts manager and its first data; remember the choice.

    A PostgreSQL password, when given, goes to the pgpass file before
    anything connects, so this run and every later one find it the same way.
    Running it again with the same answers changes nothing.
    """
    from sqlalchemy import func, select

    from vmi_desktop.bootstrap import open_database
    from vmi_desktop.demo import database_is_empty, generate
    from vmi_desktop.models import User
    from vmi_desktop.users import ensure_user

    report = progress or (lambda _stage, _fraction: None)
    manager = request.manager.strip()
    if not manager:
        raise ValidationError("The first parts manager needs a user name.")
    if request.start is StartWith.IMPORT and not import_available():
        raise ValidationError("Importing master data comes with the file import feature; choose demo data or empty.")
    url = ""
    if request.database_url:
        server, password = parse_postgres_url(request.database_url, request.password)
        url = server.render_as_string(hide_password=False)
        if password:
            write_pgpass(url, password)
    target = replace(settings, database_url=url, username=manager)
    report("creating the tables", 0.05)
    db = open_database(target)
    try:
        if db.is_postgresql:
            # the database login is the identity: the owner's login becomes the first parts manager itself
            from sqlalchemy import text

            from vmi_desktop.identity import login_postgresql

            with db.sessions() as session:
                had_users = session.execute(text("SELECT 1 FROM vmi_session_user()")).first() is not None
            manager = login_postgresql(db).name
            target = replace(target, username="")
        else:
            with db.transaction() as session:
                had_users = bool(session.scalar(select(func.count(User.id))))
                ensure_user(session, manager)  # the first user of an empty table becomes parts manager
        demo = False
        if request.start is StartWith.DEMO:
            if database_is_empty(db):
                generate(
                    db,
                    skus=request.demo_skus,
                    days=request.demo_days,
                    manager=manager,
                    progress=lambda stage, fraction: report(stage, 0.1 + 0.85 * fraction),
                )
                demo = True
            else:
                log.info("%s already holds data; no demo data loaded", db.display_name())
    finally:
        db.dispose()
    site = SiteSettings(database_url=url, username="" if manager == current_os_user() or url else manager)
    saved: Path | None = None
    if site != SiteSettings():
        saved = save_site_settings(settings.config_dir, site)
    report("done", 1.0)
    log.info(
        "first run: %s, parts manager %s%s",
        url_without_password(url) or "built-in SQLite database",
        manager,
        ", demo data loaded" if demo else "",
    )
    return SetupResult(
        settings=target, start=request.start, created_manager=not had_users, demo_loaded=demo, settings_file=saved
    )
