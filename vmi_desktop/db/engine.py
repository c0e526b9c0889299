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


def create_database(url: str, *, echo: bool = False) -> Database:
    """Open (not migrate) the database at ``url``; SQLite files get WAL mode."""
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        if parsed.database and parsed.database != ":memory:":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
