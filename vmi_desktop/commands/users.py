"""User administration as commands: each in its own unit of work, noticed by the open pages (master data)."""

from __future__ import annotations

from vmi_desktop import users
from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.models import Role, User
from vmi_desktop.scope import Actor
from vmi_desktop.users import UserRow


def list_users(target: Target, actor: Actor) -> list[UserRow]:
    """Every user with its login state (parts managers only)."""
    return within(target, lambda uow: users.list_users(uow.session, actor))


def add_user(
    target: Target,
    actor: Actor,
    username: str,
    role: Role,
    vendor_code: str | None = None,
    display_name: str = "",
    *,
    password: str | None = None,
) -> User:
    """A new user (and on PostgreSQL its login, with ``password``)."""

    def work(uow: UnitOfWork) -> User:
        user = users.add_user(uow.session, actor, username, role, vendor_code, display_name, password=password)
        uow.changes.master_data = True
        return user

    return within(target, work)


def set_active(target: Target, actor: Actor, username: str, active: bool) -> User:
    """Disable (the login stops at once) or enable a user."""

    def work(uow: UnitOfWork) -> User:
        user = users.set_active(uow.session, actor, username, active)
        uow.changes.master_data = True
        return user

    return within(target, work)


def set_role(target: Target, actor: Actor, username: str, role: Role, vendor_code: str | None = None) -> User:
    """Another role for a user; its login's group follows."""

    def work(uow: UnitOfWork) -> User:
        user = users.set_role(uow.session, actor, username, role, vendor_code)
        uow.changes.master_data = True
        return user

    return within(target, work)


def reset_password(target: Target, actor: Actor, username: str, password: str) -> None:
    """A new password for a user's PostgreSQL login."""
    within(target, lambda uow: users.reset_password(uow.session, actor, username, password))
