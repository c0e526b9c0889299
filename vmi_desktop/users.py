"""App users and, on PostgreSQL, the database logins that are them.

A parts manager adds, disables, re-roles users and resets their passwords (``Action.MANAGE_USERS``).
On PostgreSQL every change of a user goes with the same change of its login, in the same transaction,
through the security-definer function ``vmi_sync_login`` (migration 0005): created with the password
given, put in the group role of its app role, disabled with NOLOGIN and no group at once. The password
is turned into a SCRAM verifier on this machine (libpq's ``PQencryptPasswordConn``), so the server,
its logs and the audit trail never see it. On SQLite users have no logins: roles other than parts
manager are previews there (see ``vmi_desktop.identity``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from vmi_desktop.models import Role, User, Vendor
from vmi_desktop.scope import SYSTEM, Action, Actor, require

#: Shortest password the app sets for a login.
MIN_PASSWORD_LENGTH = 10
_LOGIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$")
_RESERVED = ("pg_", "vmi_")


def actor_for(user: User) -> Actor:
    """The scope actor of a stored user."""
    return Actor(name=user.username, role=user.role, vendor_id=user.vendor_id, user_id=user.id)


def ensure_user(session: Session, username: str) -> User:
    """The user with this name; on an empty user table, create them as parts manager (SQLite).

    A database that already has users does not grant rights to a stranger:
    an unknown name is refused, and a parts manager has to add them.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is not None:
        if not user.active:
            raise ValidationError(f"user {username!r} is deactivated")
        return user
    if session.scalar(select(func.count(User.id))):
        raise NotFoundError(f"user {username!r} is not known in this database; ask a parts manager to add you")
    user = User(username=username, display_name=username, role=Role.PARTS_MANAGER, updated_by="system")
    session.add(user)
    session.flush()
    audit.record(session, SYSTEM, "user.create", "user", user.id, username=username, role=Role.PARTS_MANAGER)
    return user


@dataclass(frozen=True)
class UserRow:
    """A user as the Users page and ``users list`` show it (no password, ever)."""

    id: int
    username: str
    display_name: str
    role: Role
    vendor: str | None
    active: bool
    db_login: str | None
    #: PostgreSQL: "can log in", "no login" or "missing"; "" on SQLite
    login_state: str


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def list_users(session: Session, actor: Actor) -> list[UserRow]:
    """Every user, by name (parts managers only)."""
    require(actor, Action.MANAGE_USERS)
    rows = session.execute(
        select(User, Vendor.code).outerjoin(Vendor, Vendor.id == User.vendor_id).order_by(User.username)
    ).all()
    states: dict[str, bool] = {}
    if _is_postgresql(session):
        logins = [u.db_login for u, _ in rows if u.db_login]
        if logins:
            states = {
                r[0]: bool(r[1])
                for r in session.execute(
                    text("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(:names)"), {"names": logins}
                )
            }

    def state(user: User) -> str:
        if not _is_postgresql(session):
            return ""
        if user.db_login not in states:
            return "missing"
        return "can log in" if states[user.db_login] else "no login"

    return [UserRow(u.id, u.username, u.display_name, u.role, code, u.active, u.db_login, state(u)) for u, code in rows]


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def _vendor_id(session: Session, role: Role, vendor_code: str | None) -> int | None:
    if role is Role.SUPPLIER:
        if not vendor_code:
            raise ValidationError("a supplier user needs a vendor (--vendor CODE)")
        vendor = session.scalar(select(Vendor.id).where(Vendor.code == vendor_code))
        if vendor is None:
            raise NotFoundError(f"unknown vendor {vendor_code!r}")
        return int(vendor)
    if vendor_code:
        raise ValidationError("only supplier users are bound to a vendor")
    return None


def check_login_name(name: str) -> str:
    """A user name that can also be a PostgreSQL login name (the app never quotes around a bad one)."""
    name = name.strip()
    if not _LOGIN_NAME.match(name):
        raise ValidationError(
            f"{name!r} is not a usable user name: 1 to 63 letters, digits, '_', '.', '@' or '-', "
            "not starting with '.', '@' or '-'"
        )
    if name.lower().startswith(_RESERVED):
        raise ValidationError(
            f"{name!r} starts with {name[:3]!r}, which PostgreSQL and VMI Desktop keep for themselves"
        )
    return name


def check_password(password: str) -> str:
    """A password good enough for a database login reachable over the network."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if password != password.strip() or "\n" in password:
        raise ValidationError("the password starts or ends with a space or holds a line break; type it again")
    return password


def scram_verifier(session: Session, login: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` for ``login``, computed here (the server never sees it)."""
    raw = session.connection().connection.dbapi_connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        raise ValidationError("setting a login password needs the PostgreSQL driver (psycopg 3)")
    verifier: bytes = pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
    return verifier.decode()


def _sync_login(session: Session, user: User, password: str | None) -> None:
    """Make the PostgreSQL login match the users row (created, password, group, enabled or not)."""
    if not _is_postgresql(session) or user.db_login is None:
        return
    session.flush()
    verifier = scram_verifier(session, user.db_login, password) if password is not None else None
    session.execute(text("SELECT vmi_sync_login(:login, :password)"), {"login": user.db_login, "password": verifier})


def _active_managers(session: Session) -> int:
    return int(
        session.scalar(select(func.count(User.id)).where(User.role == Role.PARTS_MANAGER, User.active.is_(True))) or 0
    )


def _not_self(actor: Actor, user: User, what: str) -> None:
    if (actor.user_id is not None and actor.user_id == user.id) or actor.name == user.username:
        raise PermissionDenied(f"you cannot {what} yourself; ask another parts manager")


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    role: Role,
    vendor_code: str | None = None,
    display_name: str = "",
    *,
    password: str | None = None,
) -> User:
    """Create a user (a supplier bound to one vendor); on PostgreSQL with its login and ``password``."""
    require(actor, Action.MANAGE_USERS)
    postgres = _is_postgresql(session)
    username = check_login_name(username) if postgres else username.strip()
    if not username:
        raise ValidationError("a user needs a name")
    vendor_id = _vendor_id(session, role, vendor_code)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"user {username!r} already exists")
    if postgres:
        if password is None:
            raise ValidationError(f"a PostgreSQL login for {username} needs a password")
        check_password(password)
    elif password is not None:
        raise ValidationError("the built-in SQLite database has no logins: a password would protect nothing")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        vendor_id=vendor_id,
        db_login=username if postgres else None,
        updated_by=actor.name,
    )
    session.add(user)
    session.flush()
    _sync_login(session, user, password)
    audit.record(session, actor, "user.create", "user", user.id, username=username, role=role, vendor=vendor_code)
    return user


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    """Disable a user (on PostgreSQL its login can no longer connect or do anything, at once) or enable it."""
    require(actor, Action.MANAGE_USERS)
    user = _get(session, username)
    if user.active == active:
        return user
    if not active:
        _not_self(actor, user, "disable")
        if user.role is Role.PARTS_MANAGER and _active_managers(session) <= 1:
            raise ValidationError(f"{username} is the last active parts manager; add another one first")
    user.active = active
    user.updated_by = actor.name
    _sync_login(session, user, None)
    audit.record(session, actor, "user.enable" if active else "user.disable", "user", user.id, username=username)
    return user


def set_role(session: Session, actor: Actor, username: str, role: Role, vendor_code: str | None = None) -> User:
    """Give a user another role (a supplier: bound to ``vendor_code``); its login's group follows."""
    require(actor, Action.MANAGE_USERS)
    user = _get(session, username)
    _not_self(actor, user, "change the role of")
    vendor_id = _vendor_id(session, role, vendor_code)
    demoted = user.role is Role.PARTS_MANAGER and role is not Role.PARTS_MANAGER and user.active
    if demoted and _active_managers(session) <= 1:
        raise ValidationError(f"{username} is the last active parts manager; add another one first")
    before = user.role
    user.role = role
    user.vendor_id = vendor_id
    user.updated_by = actor.name
    _sync_login(session, user, None)
    audit.record(
        session,
        actor,
        "user.set_role",
        "user",
        user.id,
        username=username,
        before=before,
        role=role,
        vendor=vendor_code,
    )
    return user


def reset_password(session: Session, actor: Actor, username: str, password: str) -> None:
    """Set a new password for a user's PostgreSQL login (your own too), creating the login of a user that
    has none yet (demo users); refused on SQLite (no logins)."""
    require(actor, Action.MANAGE_USERS)
    if not _is_postgresql(session):
        raise ValidationError("the built-in SQLite database has no logins, so there is no password to reset")
    check_password(password)
    user = _get(session, username)
    if user.db_login is None:  # a user made without one (demo data, an older database): it gets its login now
        user.db_login = check_login_name(user.username)
        user.updated_by = actor.name
    if user.db_login == session.scalar(text("SELECT session_user")):
        verifier = scram_verifier(session, user.db_login, password)
        session.execute(text(f"ALTER ROLE CURRENT_USER PASSWORD '{verifier}'"))  # a verifier: [A-Za-z0-9+/=$:]
    else:
        _sync_login(session, user, password)
    audit.record(session, actor, "user.reset_password", "user", user.id, username=username)
