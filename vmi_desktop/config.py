"""Typed settings: where the data lives and how to reach the database.

Settings come from (lowest to highest precedence) built-in defaults, the
site settings file the first-run wizard writes (``settings.json`` in the
config folder), the environment (``VMI_DATABASE_URL``, ``VMI_DATA_DIR``,
``VMI_USER``) and explicit overrides such as the ``--database-url`` option. Nothing secret is ever
stored here: credentials live in the OS keyring (see ``vmi_desktop.secrets``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from vmi_desktop import APP_ID

ENV_DATABASE_URL = "VMI_DATABASE_URL"
ENV_DATA_DIR = "VMI_DATA_DIR"
DEFAULT_DB_FILENAME = "vmi.sqlite3"


def default_data_dir() -> Path:
    """The per-user data folder of the platform (XDG, AppData, Application Support)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def default_config_dir() -> Path:
    """The per-user config folder of the platform."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override) / "config"
    return Path(platformdirs.user_config_dir(APP_ID, appauthor=False))


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL for a SQLite file at ``path``."""
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    """What the app needs to know to start; immutable, passed down explicitly."""

    data_dir: Path = field(default_factory=default_data_dir)
    config_dir: Path = field(default_factory=default_config_dir)
    database_url: str = ""
    username: str = ""

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the built-in SQLite file in the data folder."""
        return self.database_url or sqlite_url(self.data_dir / DEFAULT_DB_FILENAME)

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def with_overrides(self, *, database_url: str | None = None, username: str | None = None) -> Settings:
        """A copy with explicit (command-line) values taking precedence."""
        return replace(
            self,
            database_url=database_url or self.database_url,
            username=username or self.username,
        )


def load_settings() -> Settings:
    """Settings from the environment on top of the site settings file and the defaults."""
    from vmi_desktop.site_settings import read_site_settings

    site = read_site_settings(default_config_dir())  # written by the first-run wizard
    return Settings(
        database_url=os.environ.get(ENV_DATABASE_URL, "") or site.database_url,
        username=os.environ.get("VMI_USER", "") or site.username,
    )


def current_os_user() -> str:
    """The OS login name, used to find or create the app user on first start."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # getpass raises OSError/KeyError when no login name is known
        return "operator"
