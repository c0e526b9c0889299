"""``vmi-desktop users``: list, add, disable, enable, re-role users and reset their passwords (parts managers).

On PostgreSQL each user is a database login, changed in the same transaction as the user; the
password is read from standard input (``--password-stdin``, one line) or typed twice at a terminal,
and never written anywhere but the server's SCRAM verifier.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli.metrics import print_table
from vmi_desktop.commands import users as user_commands
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import Role

ROLES = [r.value for r in Role]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("users", help="app users and their database logins (parts managers)")
    sub = parser.add_subparsers(dest="users_command", required=True)
    sub.add_parser("list", help="every user, its role, vendor and login").set_defaults(handler=run)
    p = sub.add_parser("add", help="add a user (on PostgreSQL: with its own login)")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--vendor", help="vendor code (supplier users only)")
    p.add_argument("--display-name", default="")
    p.add_argument("--password-stdin", action="store_true", help="read the new login's password from stdin")
    p.set_defaults(handler=run)
    for name, what in (("disable", "disable a user (its login stops at once)"), ("enable", "enable a user again")):
        p = sub.add_parser(name, help=what)
        p.add_argument("name")
        p.set_defaults(handler=run)
    p = sub.add_parser("set-role", help="give a user another role")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    p.add_argument("--vendor", help="vendor code (when the new role is supplier)")
    p.set_defaults(handler=run)
    p = sub.add_parser("reset-password", help="set a new password for a user's PostgreSQL login")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the new password from stdin")
    p.set_defaults(handler=run)


def read_password(from_stdin: bool, who: str) -> str:
    """The new password: one line of stdin, or typed twice at a terminal (never an argument)."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
        if not password:
            raise ValidationError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise ValidationError("give the password on standard input with --password-stdin (stdin is not a terminal)")
    first = getpass.getpass(f"New password for {who}: ")
    if getpass.getpass("Again: ") != first:
        raise ValidationError("the two passwords differ; nothing was changed")
    return first


def run(args: argparse.Namespace) -> int:
    db, actor = open_db_as_user(args)
    cmd = args.users_command
    try:
        if cmd == "list":
            rows = user_commands.list_users(db, actor)
            print_table(
                ["user", "role", "vendor", "active", "login"],
                [
                    [r.username, r.role.value, r.vendor or "", "yes" if r.active else "no", r.login_state or "-"]
                    for r in rows
                ],
            )
        elif cmd == "add":
            password = read_password(args.password_stdin, args.name) if db.is_postgresql else None
            if args.password_stdin and not db.is_postgresql:
                raise ValidationError("the built-in SQLite database has no logins: a password would protect nothing")
            user = user_commands.add_user(
                db,
                actor,
                args.name,
                Role(args.role),
                args.vendor,
                args.display_name,
                password=password,
            )
            login = f" with the PostgreSQL login {user.db_login}" if user.db_login else ""
            print(f"added {user.username} ({user.role.value}){login}")
        elif cmd in ("disable", "enable"):
            user = user_commands.set_active(db, actor, args.name, cmd == "enable")
            print(f"{user.username} is {'enabled' if user.active else 'disabled'}")
        elif cmd == "set-role":
            user = user_commands.set_role(db, actor, args.name, Role(args.role), args.vendor)
            print(f"{user.username} is now {user.role.value}")
        else:
            password = read_password(args.password_stdin, args.name)
            user_commands.reset_password(db, actor, args.name, password)
            print(f"new password set for {args.name}")
    finally:
        db.dispose()
    return 0
