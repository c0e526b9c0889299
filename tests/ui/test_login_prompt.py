"""A PostgreSQL login the server refuses is asked for its password, which is then kept in the keyring."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.logins import SharedWorld, add_logins, login_url, shared_world
from vmi_desktop.bootstrap import LoginRefused, open_database
from vmi_desktop.config import Settings
from vmi_desktop.db import Database
from vmi_desktop.db.errors import DbProblem
from vmi_desktop.secrets import CredentialStore
from vmi_desktop.ui.app import open_context_asking

pytestmark = pytest.mark.postgres


@pytest.fixture
def sw(pg_db: Database) -> SharedWorld:
    return add_logins(pg_db, shared_world(pg_db))


def test_a_refused_login_says_so_instead_of_an_unreachable_server(
    pg_db: Database, sw: SharedWorld, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=login_url(pg_db, sw.logins["lead"]))
    with pytest.raises(LoginRefused) as info:
        open_database(settings, CredentialStore.in_memory())  # no password anywhere
    assert info.value.problem is DbProblem.PERMISSION and "refused the login" in str(info.value)
    assert info.value.login == sw.logins["lead"]


def test_the_window_asks_until_the_password_is_right_and_keeps_it_in_the_keyring(
    pg_db: Database, sw: SharedWorld, tmp_path: Path
) -> None:
    store = CredentialStore.in_memory()
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=login_url(pg_db, sw.logins["acme"]))
    answers = iter(["wrong password", sw.passwords["acme"]])
    asked: list[str] = []

    def ask(refused: LoginRefused) -> str | None:
        asked.append(refused.login)
        return next(answers)

    ctx = open_context_asking(settings, ask, store)
    try:
        assert asked == [sw.logins["acme"]] * 2
        assert ctx.actor.name == sw.logins["acme"] and ctx.actor.vendor_id == sw.acme
        url = make_url(pg_db.url)
        kept = store.get_login_password(str(url.host), int(url.port or 5432), str(url.database), sw.logins["acme"])
        assert kept == sw.passwords["acme"]
    finally:
        ctx.runner.wait(5000)
        ctx.db.dispose()
    with pytest.raises(LoginRefused):  # giving up gives the refusal back
        open_context_asking(
            Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=login_url(pg_db, sw.logins["bolt"])),
            lambda _refused: None,
            store,
        )
