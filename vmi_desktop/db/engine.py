"""Engines and sessions for SQLite (WAL, foreign keys on) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from vmi_desktop.db.changes import Changes

log = logging.getLogger(__name__)


#: Hosts a connection may reach without TLS (this machine); a Unix socket (no host) is local too.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
#: ``sslmode`` values that refuse a server without TLS.
TLS_MODES = frozenset({"require", "verify-ca", "verify-full"})

PasswordSource = Callable[[str, int, str, str], "str | None"]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine (127.0.0.0/8, ::1, localhost) or a Unix socket folder."""
    if not host or host.startswith("/"):
        return True
    if host in LOOPBACK_HOSTS or host.startswith("127."):
        return True
    try:
        import ipaddress

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_defaults(url: str) -> dict[str, str]:
    """libpq options a PostgreSQL URL gets unless it says otherwise: a server not on this machine is
    reached over TLS with its certificate and host name verified (``sslmode=verify-full``), against the
    system's certificate authorities unless ``~/.postgresql/root.crt`` exists."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or is_loopback(parsed.host):
        return {}
    query = {k.lower(): v for k, v in parsed.query.items()}
    extra: dict[str, str] = {}
    if "sslmode" not in query:
        extra["sslmode"] = "verify-full"
    mode = str(query.get("sslmode", extra.get("sslmode", "")))
    own_root = (Path.home() / ".postgresql" / "root.crt").exists()
    if mode in ("verify-ca", "verify-full") and "sslrootcert" not in query and not own_root:
        extra["sslrootcert"] = "system"
    return extra


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` to the psycopg 3 driver; leave everything else alone."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


CommitObserver = Callable[[Changes], None]


def _inject_password(engine: Engine, password: PasswordSource) -> None:
    def provide(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        if cparams.get("password"):
            return
        host = str(cparams.get("host") or "")
        port = int(cparams.get("port") or 5432)
        login = str(cparams.get("user") or "")
        found = password(host, port, str(cparams.get("dbname") or ""), login)
        if found:
            cparams["password"] = found

    event.listen(engine, "do_connect", provide)


@dataclass(eq=False)
class UnitOfWork:
    """One transaction of one command: its session, and what it changed (delivered after the commit)."""

    session: Session
    changes: Changes = field(default_factory=Changes)


@dataclass
class Database:
    """One database: an engine, a session factory and the observers of its committed changes.

    Whatever must react to a change (a page refreshing the rows it shows, the sync scheduler
    pushing a delta report) registers here with ``add_commit_observer``: per database, never
    process-wide, and only for work that committed.
    """

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    observers: list[CommitObserver] = field(default_factory=list)

    def add_commit_observer(self, observer: CommitObserver) -> None:
        """Call ``observer(changes)`` after each unit of work on this database commits (any thread)."""
        if observer not in self.observers:
            self.observers.append(observer)

    def remove_commit_observer(self, observer: CommitObserver) -> None:
        if observer in self.observers:
            self.observers.remove(observer)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A transaction whose ``changes`` reach the observers once it committed (nothing on rollback)."""
        with self.sessions() as session:
            with session.begin():
                uow = UnitOfWork(session)
                yield uow
            changes = uow.changes
        if changes:
            for observer in list(self.observers):
                try:
                    observer(changes)
                except Exception:  # an observer must not turn a committed change into an error
                    log.exception("commit observer %r failed", observer)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def sqlite_path(self) -> Path | None:
        """The file behind a SQLite database, or None for memory or another server."""
        if not self.is_sqlite:
            return None
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return None
        return Path(database)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back everything on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def display_name(self) -> str:
        """The URL without any password, for the status bar and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    def short_name(self) -> str:
        """A few words naming the database (the file name, or database@host), for the status bar."""
        url = make_url(self.url)
        if self.is_sqlite:
            return Path(url.database).name if url.database else "in memory"
        return f"{url.database}@{url.host or 'localhost'}"

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(url: str, *, echo: bool = False, password: PasswordSource | None = None) -> Database:
    """Open (not migrate) the database at ``url``; SQLite files get WAL mode.

    PostgreSQL: a server not on this machine gets ``sslmode=verify-full`` unless the URL chooses
    (``tls_defaults``). ``password(host, port, database, login)`` is asked for the login's password
    when the URL carries none (the OS keyring); when it has none either, libpq reads ``~/.pgpass``.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = tls_defaults(url)
        from vmi_desktop.models.base import use_postgresql_options  # this dialect's options, now it is in use

        use_postgresql_options()
    engine = create_engine(url, **kwargs)
    if password is not None and parsed.get_backend_name() == "postgresql":
        _inject_password(engine, password)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        if parsed.database and parsed.database != ":memory:":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
