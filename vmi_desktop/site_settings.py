"""The small settings file the first-run wizard writes: which database, and who works here.

``settings.json`` in the config folder holds the database URL chosen for a
shared PostgreSQL server and the app user name when it is not the OS login.
Never a password: a URL is saved with its password removed (the password
lives in ``~/.pgpass``, see :mod:`vmi_desktop.first_run`). The environment
and the command line still win over this file (:func:`vmi_desktop.config.load_settings`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from vmi_desktop.errors import ValidationError

log = logging.getLogger(__name__)

SETTINGS_FILENAME = "settings.json"


@dataclass(frozen=True)
class SiteSettings:
    """What the wizard remembers; empty strings mean "the default"."""

    database_url: str = ""
    username: str = ""


def url_without_password(url: str) -> str:
    """``url`` with any password removed (kept as typed otherwise); refuses a URL that does not parse."""
    if not url:
        return ""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(
            f"'{url.split('@')[-1]}' is not a database URL (expected e.g. postgresql://user@host/dbname)"
        ) from None
    if parsed.password is None:
        return url
    # URL is a named tuple; URL.set(password=None) would leave the password as it is.
    return parsed._replace(password=None).render_as_string(hide_password=False)


def settings_path(config_dir: Path) -> Path:
    """Where the site settings live."""
    return config_dir / SETTINGS_FILENAME


def read_site_settings(config_dir: Path) -> SiteSettings:
    """The saved settings, or the defaults when there is no file (or an unreadable one, with a warning)."""
    path = settings_path(config_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SiteSettings()
    except (OSError, ValueError):
        log.warning("settings file %s is unreadable; using the defaults", path)
        return SiteSettings()
    if not isinstance(data, dict):
        return SiteSettings()
    url = data.get("database_url")
    user = data.get("username")
    return SiteSettings(
        database_url=url if isinstance(url, str) else "",
        username=user if isinstance(user, str) else "",
    )


def save_site_settings(config_dir: Path, site: SiteSettings) -> Path:
    """Write the settings atomically (password stripped from the URL); returns the file."""
    path = settings_path(config_dir)
    data = {"database_url": url_without_password(site.database_url), "username": site.username}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    log.info("saved the site settings in %s", path)
    return path
