"""Helpers shared by the subcommands: settings, database and the acting user."""

from __future__ import annotations

import argparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from vmi_desktop.bootstrap import login, open_database
from vmi_desktop.config import Settings, load_settings
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError
from vmi_desktop.scope import Actor


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment settings with the command line's overrides."""
    return load_settings().with_overrides(database_url=args.database_url, username=getattr(args, "user", None))


def open_db(args: argparse.Namespace) -> Database:
    """The database named by the arguments, migrated."""
    return open_database(settings_from(args))


def open_db_as_user(args: argparse.Namespace) -> tuple[Database, Actor]:
    """The migrated database and the acting user."""
    settings = settings_from(args)
    db = open_database(settings)
    return db, login(db, settings)


def vendor_id_of(session: Session, code: str | None) -> int | None:
    """The id of the vendor a ``--vendor CODE`` option names (None when not given); an unknown code is
    refused with its name."""
    if not code:
        return None
    from vmi_desktop.models import Vendor

    vendor_id = session.scalar(select(Vendor.id).where(Vendor.code == code))
    if vendor_id is None:
        raise NotFoundError(f"unknown vendor {code!r}")
    return int(vendor_id)
