"""Who is at the keyboard: an identity the database vouches for, never a name someone typed.

- **PostgreSQL**: the database login is the identity. ``session_user`` maps to exactly one app user
  (``users.db_login``, read through the security-definer function ``vmi_session_user()``, since a
  supplier login may not read the users table). ``--user`` / ``VMI_USER`` is refused unless it names
  that very user. On an empty users table the owner of the database (or a superuser) becomes its
  first parts manager; any other login is refused until a parts manager adds it.
- **SQLite** (the built-in file, one workstation): there are no logins. The OS account owning the
  data folder is the parts manager; any other OS account is refused. Naming a parts manager with
  ``--user`` acts as them; naming a warehouse lead or a supplier gives a *preview* of what they see
  (``Actor.preview``: read-only, and the window says so), since nothing here could prove who they are.

Either way ``Actor.login`` carries the authenticated identity, which every audit entry records.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.config import Settings, current_os_user
from vmi_desktop.db import Database
from vmi_desktop.db.errors import DbProblem, problem_of
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.models import Role, User
from vmi_desktop.scope import SYSTEM, Actor
from vmi_desktop.users import actor_for, ensure_user

log = logging.getLogger(__name__)


def login(db: Database, settings: Settings) -> Actor:
    """The acting user of this database, as its engine can vouch for them."""
    if db.is_postgresql:
        return login_postgresql(db, settings.username)
    return login_sqlite(db, settings.username)


# ------------------------------------------------------------------------------------------ PostgreSQL


def session_login(session: Session) -> str:
    """The PostgreSQL login of this session (``session_user``: a client cannot change it with SET ROLE)."""
    return str(session.scalar(text("SELECT session_user")))


def login_postgresql(db: Database, claimed: str = "") -> Actor:
    """The app user behind this connection's login; ``claimed`` (``--user``) must name that user."""
    with db.transaction() as session:
        me = session_login(session)
        found = session.execute(text("SELECT id, username, role, vendor_id, active FROM vmi_session_user()")).first()
        row = tuple(found) if found is not None else _claim_first_manager(session, me)
        user_id, username, role, vendor_id, active = row
        if not active:
            raise PermissionDenied(f"the app user {username} (PostgreSQL login {me}) is disabled")
        if claimed and claimed != username:
            raise PermissionDenied(
                f"--user {claimed} is refused: this PostgreSQL login ({me}) is the app user {username}; "
                f"to act as {claimed}, connect with {claimed}'s own login"
            )
        return Actor(name=username, role=Role(role), vendor_id=vendor_id, user_id=user_id, login=me)


def _claim_first_manager(session: Session, me: str) -> tuple[int, str, str, int | None, bool]:
    try:
        with session.begin_nested():
            new_id = session.scalar(text("SELECT vmi_claim_first_manager(:display)"), {"display": me})
    except Exception as exc:
        if problem_of(exc) is DbProblem.PERMISSION:
            raise PermissionDenied(
                f"the PostgreSQL login {me} is not a user of this database, and only its owner (or a superuser) "
                "becomes the first parts manager; ask the owner to sign in first and add you"
            ) from None
        raise
    if new_id is None:
        raise NotFoundError(f"the PostgreSQL login {me} is not a user of this database; ask a parts manager to add you")
    actor = Actor(name=me, role=Role.PARTS_MANAGER, user_id=int(new_id), login=me)
    audit.record(session, SYSTEM, "user.create", "user", new_id, username=me, role=Role.PARTS_MANAGER, first=True)
    log.info("the PostgreSQL login %s is this database's first parts manager", me)
    return int(new_id), actor.name, Role.PARTS_MANAGER.value, None, True


# ------------------------------------------------------------------------------------------ SQLite


def data_folder(db: Database) -> Path | None:
    """The folder holding a SQLite database file (None for memory databases and servers)."""
    path = db.sqlite_path
    return path.resolve().parent if path is not None else None


def folder_owner(folder: Path) -> str | None:
    """The OS account owning ``folder`` (None where the platform does not say, as on Windows)."""
    try:
        import pwd

        return pwd.getpwuid(folder.stat().st_uid).pw_name
    except (ImportError, KeyError, OSError):
        return None


def login_sqlite(db: Database, claimed: str = "", *, os_user: str | None = None) -> Actor:
    """The parts manager (the OS account owning the data folder), or a preview of another user."""
    account = os_user or current_os_user()
    folder = data_folder(db)
    owner = folder_owner(folder) if folder is not None else None
    if owner is not None and owner != account:
        raise PermissionDenied(
            f"this database's folder {folder} belongs to the OS account {owner}; on the built-in SQLite database "
            f"only that account is its parts manager (you are {account}). Sign in as {owner}, or share a "
            "PostgreSQL server where each person has a login"
        )
    with db.transaction() as session:
        user = ensure_user(session, claimed or account)
        return sqlite_actor(user, account)


def sqlite_actor(user: User, account: str) -> Actor:
    """A parts manager acts; any other role on SQLite is a preview (nothing proves who they are)."""
    actor = actor_for(user)
    preview = user.role is not Role.PARTS_MANAGER
    return Actor(actor.name, actor.role, actor.vendor_id, actor.user_id, login=account, preview=preview)


def preview_note(actor: Actor) -> str:
    """The sentence the window shows for a preview actor ("" for one that acts)."""
    if not actor.preview:
        return ""
    if actor.is_supplier and actor.name.startswith("preview of "):
        return f"Preview: exactly what {actor.name.removeprefix('preview of ')} sees. Nothing can be changed here."
    return (
        f"Preview of {actor.name} ({actor.role_text}): on the built-in database only the parts manager signs in; "
        "this shows what that role sees and changes nothing."
    )
