"""Opening the app's database: connect, migrate (with backup), identify the user."""

from __future__ import annotations

import logging

from vmi_desktop.config import Settings, current_os_user
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.scope import Actor
from vmi_desktop.users import actor_for, ensure_user

log = logging.getLogger(__name__)


def open_database(settings: Settings) -> Database:
    """The configured database, upgraded to this app's schema (or a clear refusal)."""
    db = create_database(settings.effective_database_url)
    result = upgrade_database(db)
    if result.from_revision != result.to_revision:
        log.info("schema %s -> %s (backup: %s)", result.from_revision, result.to_revision, result.backup)
    return db


def login(db: Database, settings: Settings) -> Actor:
    """The acting user: ``settings.username`` or the OS login name."""
    with db.transaction() as session:
        return actor_for(ensure_user(session, settings.username or current_os_user()))
