"""First start without the wizard's widgets: detection, site settings, pgpass, setting a database up."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from vmi_desktop.config import Settings, current_os_user, load_settings
from vmi_desktop.db import create_database
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.first_run import (
    SetupRequest,
    StartWith,
    import_available,
    needs_first_run,
    parse_postgres_url,
    set_up_database,
    write_pgpass,
)
from vmi_desktop.models import Role, Sku, User
from vmi_desktop.site_settings import SiteSettings, read_site_settings, save_site_settings, settings_path


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", config_dir=tmp_path / "config")


def test_a_first_start_is_one_with_no_database_named_and_no_sqlite_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert needs_first_run(settings)
    assert not needs_first_run(settings.with_overrides(database_url="postgresql://db.example/vmi"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "vmi.sqlite3").touch()
    assert not needs_first_run(settings)


def test_site_settings_never_keep_the_password_of_a_url(tmp_path: Path) -> None:
    path = save_site_settings(
        tmp_path, SiteSettings(database_url="postgresql://anna:s3cret-pw@db.example:5432/vmi", username="anna")
    )
    assert "s3cret-pw" not in path.read_text()
    assert read_site_settings(tmp_path) == SiteSettings("postgresql://anna@db.example:5432/vmi", "anna")


def test_an_unreadable_settings_file_means_the_defaults(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text("{not json")
    assert read_site_settings(tmp_path) == SiteSettings()
    settings_path(tmp_path).write_text(json.dumps(["a", "list"]))
    assert read_site_settings(tmp_path) == SiteSettings()


def test_the_environment_wins_over_the_site_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VMI_DATABASE_URL", raising=False)
    monkeypatch.delenv("VMI_USER", raising=False)
    save_site_settings(tmp_path / "config", SiteSettings("postgresql://anna@db.example/vmi", "anna"))
    assert (load_settings().database_url, load_settings().username) == ("postgresql://anna@db.example/vmi", "anna")
    monkeypatch.setenv("VMI_DATABASE_URL", "sqlite:////tmp/other.sqlite3")
    monkeypatch.setenv("VMI_USER", "bo")
    assert (load_settings().database_url, load_settings().username) == ("sqlite:////tmp/other.sqlite3", "bo")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:////tmp/x.db", "Expected a PostgreSQL URL"),
        ("not a url", "not a PostgreSQL URL"),
        ("postgresql:///vmi", "needs a host"),
        ("postgresql://db.example", "needs a host and a database name"),
    ],
)
def test_a_server_url_that_cannot_work_is_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_postgres_url(url)


def test_a_password_typed_wins_over_one_in_the_url_and_neither_stays_in_it() -> None:
    server, password = parse_postgres_url("postgresql://anna:in-url@db.example/vmi", "typed")
    assert (server.password, password) == (None, "typed")
    assert parse_postgres_url("postgresql://anna:in-url@db.example/vmi")[1] == "in-url"


def test_pgpass_gets_one_private_line_per_server_database_and_user(tmp_path: Path) -> None:
    path = tmp_path / "pgpass"
    path.write_text("other:5432:db:bo:keep-me\n")
    write_pgpass("postgresql://anna@db.example:6543/vmi", "first", path)
    write_pgpass("postgresql://anna@db.example:6543/vmi", "pa:ss\\word", path)
    assert path.read_text().splitlines() == ["other:5432:db:bo:keep-me", "db.example:6543:vmi:anna:pa\\:ss\\\\word"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pgpass_needs_the_user_in_the_url(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="names the user"):
        write_pgpass("postgresql://db.example/vmi", "pw", tmp_path / "pgpass")


def test_setting_up_the_builtin_database_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = set_up_database(settings, SetupRequest(manager="ines", start=StartWith.EMPTY))
    again = set_up_database(settings, SetupRequest(manager="ines", start=StartWith.EMPTY))
    assert (first.created_manager, again.created_manager) == (True, False)
    db = create_database(first.settings.effective_database_url)
    try:
        with db.sessions() as session:
            assert session.execute(select(User.username, User.role)).all() == [("ines", Role.PARTS_MANAGER)]
            assert session.scalar(select(func.count(Sku.id))) == 0
    finally:
        db.dispose()
    assert first.settings.effective_database_url == f"sqlite:///{tmp_path / 'data' / 'vmi.sqlite3'}"
    assert not needs_first_run(load_like(first.settings))
    # a manager other than the OS user is remembered, so the next start signs in as them
    assert read_site_settings(tmp_path / "config").username == ("" if current_os_user() == "ines" else "ines")


def load_like(settings: Settings) -> Settings:
    """The settings of the next start (no URL given anywhere)."""
    return Settings(data_dir=settings.data_dir, config_dir=settings.config_dir)


def test_demo_data_goes_only_into_an_empty_database(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    request = SetupRequest(manager="ines", start=StartWith.DEMO, demo_skus=12, demo_days=20)
    stages: list[str] = []
    result = set_up_database(settings, request, progress=lambda stage, _f: stages.append(stage))
    assert result.demo_loaded and stages[-1] == "done"
    assert not set_up_database(settings, request).demo_loaded  # already holds data: left as it is
    db = create_database(result.settings.effective_database_url)
    try:
        with db.sessions() as session:
            assert session.scalar(select(func.count(Sku.id))) == 12
            managers = session.scalars(select(User.username).where(User.role == Role.PARTS_MANAGER)).all()
            assert managers == ["ines"]
    finally:
        db.dispose()


def test_a_stranger_cannot_make_themselves_manager_of_a_database_with_users(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    set_up_database(settings, SetupRequest(manager="ines"))
    with pytest.raises(NotFoundError, match="not known in this database"):
        set_up_database(settings, SetupRequest(manager="mallory"))


def test_a_setup_that_imports_starts_with_an_empty_migrated_database_and_a_manager(tmp_path: Path) -> None:
    """The import itself runs in the window afterwards (File > Import), on the database set up here."""
    assert import_available()
    result = set_up_database(_settings(tmp_path), SetupRequest(manager="ines", start=StartWith.IMPORT))
    db = create_database(result.settings.effective_database_url)
    try:
        from vmi_desktop.demo import database_is_empty

        assert database_is_empty(db)
        with db.sessions() as s:
            assert [(u.username, u.role) for u in s.scalars(select(User))] == [("ines", Role.PARTS_MANAGER)]
    finally:
        db.dispose()
