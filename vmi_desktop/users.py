"""App users: the first start creates a parts manager for the OS user."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.models import Role, User, Vendor
from vmi_desktop.scope import SYSTEM, Action, Actor, require


def actor_for(user: User) -> Actor:
    """The scope actor of a stored user."""
    return Actor(name=user.username, role=user.role, vendor_id=user.vendor_id, user_id=user.id)


def ensure_user(session: Session, username: str) -> User:
    """The user with this name; on an empty user table, create them as parts manager.

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


def add_user(
    session: Session, actor: Actor, username: str, role: Role, vendor_code: str | None = None, display_name: str = ""
) -> User:
    """Create a user; a supplier user is bound to one vendor."""
    require(actor, Action.MANAGE_USERS)
    vendor_id = None
    if role is Role.SUPPLIER:
        if not vendor_code:
            raise ValidationError("a supplier user needs a vendor")
        vendor = session.scalar(select(Vendor).where(Vendor.code == vendor_code))
        if vendor is None:
            raise NotFoundError(f"unknown vendor {vendor_code!r}")
        vendor_id = vendor.id
    elif vendor_code:
        raise ValidationError("only supplier users are bound to a vendor")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"user {username!r} already exists")
    user = User(
        username=username, display_name=display_name or username, role=role, vendor_id=vendor_id, updated_by=actor.name
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, username=username, role=role, vendor=vendor_code)
    return user
