"""Identity that cannot be claimed: PostgreSQL logins map to exactly one user; SQLite's OS account is its manager.

The PostgreSQL tests connect over TCP to the throwaway cluster, whose superuser is trusted and every
other login must give its password (``tests/pg.py``): each password here reaches the server through
the app's own paths, the OS keyring or ``~/.pgpass``.
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.logins import SharedWorld, add_logins, connect_as, login_url, shared_world
from tests.pg import PgCluster
from vmi_desktop import users
from vmi_desktop.bootstrap import open_database
from vmi_desktop.cli import main
from vmi_desktop.config import Settings
from vmi_desktop.db import Database, DatabaseError, create_database, rls
from vmi_desktop.db.engine import tls_defaults
from vmi_desktop.db.tls import check_tls, server_offers_tls
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.identity import login_postgresql, login_sqlite, preview_note
from vmi_desktop.models import Role
from vmi_desktop.scope import Action, can
from vmi_desktop.secrets import CredentialStore

# -------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def sw(pg_db: Database) -> SharedWorld:
    return add_logins(pg_db, shared_world(pg_db))


def _pgpass(tmp_path: Path, pg_db: Database, sw: SharedWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_url(pg_db.url)
    lines = [f"{url.host}:{url.port}:{url.database}:{sw.logins[k]}:{sw.passwords[k]}" for k in sw.logins]
    path = tmp_path / "pgpass"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(path))
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))  # no keyring choice remembered: ~/.pgpass it is


def test_user_naming_someone_else_is_refused_on_postgresql(
    pg_db: Database,
    sw: SharedWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _pgpass(tmp_path, pg_db, sw, monkeypatch)
    acme = login_url(pg_db, sw.logins["acme"])
    monkeypatch.delenv("VMI_USER", raising=False)
    assert main(["--database-url", acme, "--user", sw.manager.name, "orders", "list"]) == 2
    err = capsys.readouterr().err
    assert f"--user {sw.manager.name} is refused" in err and sw.logins["acme"] in err
    monkeypatch.setenv("VMI_USER", sw.logins["pm"])
    assert main(["--database-url", acme, "orders", "list"]) == 2
    assert "is refused" in capsys.readouterr().err
    monkeypatch.setenv("VMI_USER", sw.logins["acme"])
    assert main(["--database-url", acme, "orders", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ACME" in listed and "BOLT" not in listed


def test_the_database_login_is_the_identity_and_the_audit_records_it(pg_db: Database, sw: SharedWorld) -> None:
    acme_db = connect_as(pg_db, sw, "acme")
    try:
        actor = login_postgresql(acme_db)
        assert (actor.name, actor.role, actor.vendor_id, actor.login) == (
            sw.logins["acme"],
            Role.SUPPLIER,
            sw.acme,
            sw.logins["acme"],
        )
        with pytest.raises(PermissionDenied, match="is refused"):
            login_postgresql(acme_db, sw.manager.name)
    finally:
        acme_db.dispose()
    with pg_db.sessions() as s:
        logins = set(s.scalars(text("SELECT DISTINCT login FROM audit_entries WHERE action = 'user.create'")))
    assert logins == {sw.manager.login}  # the superuser who added them, not a name anyone typed


def test_a_wrong_password_gets_no_connection(pg_db: Database, sw: SharedWorld) -> None:
    wrong = connect_as(pg_db, sw, "acme", password="not-the-password")
    try:
        with pytest.raises(DBAPIError) as info, wrong.engine.connect():
            pass
        assert "password authentication failed" in str(info.value)
    finally:
        wrong.dispose()


def test_the_password_comes_from_the_keyring(pg_db: Database, sw: SharedWorld, tmp_path: Path) -> None:
    store = CredentialStore.in_memory()
    url = make_url(pg_db.url)
    store.set_login_password(
        str(url.host), int(url.port or 5432), str(url.database), sw.logins["lead"], sw.passwords["lead"]
    )
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=login_url(pg_db, sw.logins["lead"]))
    db = open_database(settings, store)
    try:
        actor = login_postgresql(db)
        assert actor.role is Role.WAREHOUSE_LEAD and actor.name == sw.logins["lead"]
    finally:
        db.dispose()


def test_a_login_that_is_no_user_is_refused_and_only_the_owner_becomes_the_first_manager(
    pg_cluster: PgCluster | str, pg_db: Database
) -> None:
    stranger, password = f"stranger_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    with pg_db.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {stranger} LOGIN PASSWORD '{password}' IN ROLE vmi_manager"))
    db = create_database(login_url(pg_db, stranger), password=lambda *_a: password)
    try:
        with pytest.raises(PermissionDenied, match="only its owner"):  # empty users table, not the owner
            login_postgresql(db)
        login_postgresql(pg_db)  # the superuser is the first parts manager
        with pytest.raises(NotFoundError, match="ask a parts manager to add you"):
            login_postgresql(db)
    finally:
        db.dispose()


def test_disabled_users_changed_roles_and_reset_passwords_reach_the_login(pg_db: Database, sw: SharedWorld) -> None:
    with pg_db.transaction() as s:
        users.set_role(s, sw.manager, sw.logins["lead"], Role.SUPPLIER, "BOLT")
    lead_db = connect_as(pg_db, sw, "lead")
    try:
        with lead_db.engine.connect() as conn:
            assert conn.execute(text("SELECT DISTINCT vendor_id FROM purchase_orders")).scalars().all() == [sw.bolt]
    finally:
        lead_db.dispose()
    with pg_db.transaction() as s:
        users.reset_password(s, sw.manager, sw.logins["bolt"], "a brand new secret")
    old = connect_as(pg_db, sw, "bolt")
    new = connect_as(pg_db, sw, "bolt", password="a brand new secret")
    try:
        with pytest.raises(DBAPIError), old.engine.connect():
            pass
        assert login_postgresql(new).vendor_id == sw.bolt
    finally:
        old.dispose()
        new.dispose()
    with pg_db.sessions() as s:
        row = s.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": sw.logins["bolt"]}).one()
        assert row[0].startswith("SCRAM-SHA-256$") and "brand new" not in row[0]
        assert "brand new" not in " ".join(s.scalars(text("SELECT detail FROM audit_entries")))


def test_user_administration_is_for_parts_managers_and_keeps_one(pg_db: Database, sw: SharedWorld) -> None:
    acme_db = connect_as(pg_db, sw, "acme")
    try:
        supplier = login_postgresql(acme_db)
        with pytest.raises(PermissionDenied), acme_db.transaction() as s:
            users.add_user(s, supplier, "evil_twin", Role.PARTS_MANAGER, password="0123456789abc")
        with pytest.raises(DBAPIError) as info, acme_db.engine.begin() as conn:  # not through the app either
            conn.execute(text("SELECT vmi_sync_login(:l, NULL)"), {"l": sw.logins["pm"]})
        assert "permission denied" in str(info.value)
    finally:
        acme_db.dispose()
    with pytest.raises(PermissionDenied, match="yourself"), pg_db.transaction() as s:
        users.set_active(s, sw.manager, sw.manager.name, False)
    dba = f"dba_{secrets.token_hex(3)}"  # a login someone else made on this server
    with pg_db.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {dba} LOGIN"))
    with pytest.raises(DBAPIError, match="already exists on this server"), pg_db.transaction() as s:
        users.add_user(s, sw.manager, dba, Role.WAREHOUSE_LEAD, password="0123456789abc")


def test_a_supplier_login_cannot_upgrade_an_old_schema_and_is_told_who_can(
    pg_db: Database, sw: SharedWorld, tmp_path: Path
) -> None:
    with pg_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    store = CredentialStore.in_memory()
    url = make_url(pg_db.url)
    store.set_login_password(
        str(url.host), int(url.port or 5432), str(url.database), sw.logins["acme"], sw.passwords["acme"]
    )
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=login_url(pg_db, sw.logins["acme"]))
    with pytest.raises(DatabaseError, match=r"Only its owner \(.*\) or a superuser changes the schema"):
        open_database(settings, store)


def test_a_createrole_database_owner_sets_up_a_database_and_its_users_from_the_command_line(
    pg_cluster: PgCluster | str,
    pg_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What IT does once: a login with CREATEROLE owns an empty database and runs db upgrade, then adds users."""
    owner, owner_pw = f"it_{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    name = f"fresh_{secrets.token_hex(3)}"
    with pg_db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD '{owner_pw}'"))
        conn.execute(text(f"CREATE DATABASE {name} OWNER {owner}"))
    url = make_url(pg_db.url).set(database=name)
    owner_url = url.set(username=owner, password=None).render_as_string(hide_password=False)
    clerk, clerk_pw = f"clerk_{secrets.token_hex(3)}", "clerk password 1"
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:{name}:{owner}:{owner_pw}\n*:*:{name}:{clerk}:{clerk_pw}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VMI_USER", raising=False)
    assert main(["--database-url", owner_url, "db", "upgrade"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(clerk_pw + "\n"))
    assert (
        main(["--database-url", owner_url, "users", "add", clerk, "--role", "warehouse_lead", "--password-stdin"]) == 0
    )
    assert f"with the PostgreSQL login {clerk}" in capsys.readouterr().out
    assert main(["--database-url", owner_url, "users", "list"]) == 0
    listed = capsys.readouterr().out
    assert owner in listed and "parts_manager" in listed and clerk in listed and "can log in" in listed
    assert main(["--database-url", owner_url, "db", "status"]) == 0
    assert "row-level security: forced on every table" in capsys.readouterr().out
    clerk_url = url.set(username=clerk, password=None).render_as_string(hide_password=False)
    assert main(["--database-url", clerk_url, "users", "list"]) == 2
    assert "may not manage users" in capsys.readouterr().err
    check = create_database(url.render_as_string(hide_password=False))
    try:
        with check.engine.connect() as conn:
            assert rls.catalog_problems(conn) == []
            member = conn.execute(text("SELECT pg_has_role(:o, 'vmi_owner', 'MEMBER')"), {"o": owner}).scalar()
            assert member is False  # the owner's everyday sessions are not the schema owner
            assert (
                conn.execute(text("SELECT relowner::regrole::text FROM pg_class WHERE relname = 'users'")).scalar()
                == "vmi_owner"
            )
    finally:
        check.dispose()


# -------------------------------------------------------------------------------- TLS


def test_a_server_off_this_machine_gets_verified_tls_by_default() -> None:
    assert tls_defaults("postgresql://bob@db.example.com/vmi")["sslmode"] == "verify-full"
    assert tls_defaults("postgresql://bob@192.0.2.10:5432/vmi")["sslmode"] == "verify-full"
    assert tls_defaults("postgresql://bob@db.example.com/vmi?sslmode=require") == {}
    for local in ("postgresql://bob@127.0.0.1/vmi", "postgresql://bob@localhost/vmi", "postgresql://bob@[::1]/vmi"):
        assert tls_defaults(local) == {}
    assert tls_defaults("postgresql:///vmi?host=/run/postgresql") == {}


def test_a_server_offering_no_tls_is_named_as_the_problem(pg_db: Database) -> None:
    url = make_url(pg_db.url)
    assert server_offers_tls(str(url.host), int(url.port or 5432)) is False  # the test cluster runs without ssl
    demanding = url.set(query={"sslmode": "verify-full"}).render_as_string(hide_password=False)
    with pytest.raises(DatabaseError, match="offers no TLS") as info:
        check_tls(demanding)
    assert "sslmode=verify-full" in str(info.value)
    check_tls(pg_db.url)  # loopback without a demand: fine


def _own_addresses() -> list[str]:
    """This machine's IPv4 addresses: its host name's, and the one a route out would use (nothing is sent)."""
    import socket

    found = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for target in ("192.0.2.1", "10.255.255.255", "198.51.100.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((target, 9))
                found.add(probe.getsockname()[0])
            except OSError:
                continue
    return sorted(str(a) for a in found)


def test_a_remote_server_without_tls_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """A fake server on a non-loopback address of this machine answers the SSLRequest with 'N'."""
    import socket
    import threading

    remote = [a for a in _own_addresses() if not a.startswith("127.")]
    if not remote:
        pytest.skip("this machine has no non-loopback IPv4 address")
    server = socket.create_server((remote[0], 0))
    port = server.getsockname()[1]

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(8)
            conn.sendall(b"N")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=f"postgresql://bob@{remote[0]}:{port}/vmi")
    try:
        with pytest.raises(DatabaseError, match=f"{remote[0]}:{port} offers no TLS"):
            open_database(settings, CredentialStore.in_memory())
    finally:
        thread.join(5)
        server.close()


# -------------------------------------------------------------------------------- SQLite


def test_on_sqlite_the_data_folders_owner_is_the_manager_and_other_roles_are_previews(sqlite_db: Database) -> None:
    import getpass

    me = getpass.getuser()
    manager = login_sqlite(sqlite_db, os_user=me)  # first start: a parts manager
    assert manager.role is Role.PARTS_MANAGER and not manager.preview and manager.login == me
    with sqlite_db.transaction() as s:
        users.add_user(s, manager, "lina", Role.WAREHOUSE_LEAD)
    lina = login_sqlite(sqlite_db, "lina", os_user=me)
    assert lina.preview and lina.role is Role.WAREHOUSE_LEAD and lina.login == me
    assert not can(lina, Action.POST_LEDGER) and "Preview of lina (warehouse lead)" in preview_note(lina)
    with pytest.raises(PermissionDenied, match="belongs to the OS account"):
        login_sqlite(sqlite_db, os_user="mallory-" + me)


def test_sqlite_previews_refuse_changes_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "boss")
    assert main(["--database-url", url, "users", "add", "lina", "--role", "warehouse_lead"]) == 0
    assert main(["--database-url", url, "--user", "lina", "stock", "receive", "P-1", "WH-1", "1"]) == 2
    assert "is a preview" in capsys.readouterr().err
    assert main(["--database-url", url, "--user", "lina", "users", "add", "x", "--role", "parts_manager"]) == 2


def test_the_cli_never_takes_a_password_as_an_argument() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "vmi_desktop", "users", "add", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "VMI_DATA_DIR": "/nonexistent"},
        check=True,
    ).stdout
    assert "--password-stdin" in out and "--password " not in out


def test_a_supplier_asking_for_another_vendors_figures_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.world import build_world

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "boss")
    assert main(["--database-url", url, "users", "add", "acme-rep", "--role", "supplier", "--vendor", "ACME"]) == 2
    db = create_database(url)
    with db.transaction() as s:
        build_world(s)
    db.dispose()
    assert main(["--database-url", url, "users", "add", "acme-rep", "--role", "supplier", "--vendor", "ACME"]) == 0
    capsys.readouterr()
    base = ["--database-url", url, "--user", "acme-rep", "metrics", "--since", "2026-01-01", "--by", "accuracy"]
    assert main([*base, "--vendor", "BOLT"]) == 2
    assert "sees only its own vendor's figures" in capsys.readouterr().err
    assert main([*base, "--vendor", "ACME"]) == 0


def test_demo_data_on_postgresql_belongs_to_the_login_and_its_users_get_logins_on_demand(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VMI_USER", raising=False)
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    assert main(["--database-url", pg_db.url, "demo", "--skus", "12", "--locations", "2", "--days", "20"]) == 0
    me = login_postgresql(pg_db)
    assert me.role is Role.PARTS_MANAGER and me.name == me.login  # the superuser's own login, not a typed name
    password = secrets.token_urlsafe(12)
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    assert main(["--database-url", pg_db.url, "users", "reset-password", "lead", "--password-stdin"]) == 0
    lead_db = create_database(login_url(pg_db, "lead"), password=lambda *_a: password)
    try:
        assert login_postgresql(lead_db).role is Role.WAREHOUSE_LEAD
    finally:
        lead_db.dispose()


@pytest.mark.keyring_daemon
def test_a_login_password_kept_in_the_real_secret_service_opens_the_database(
    pg_db: Database, sw: SharedWorld, tmp_path: Path
) -> None:
    store = CredentialStore(config_dir=tmp_path / "config", data_dir=tmp_path / "data")  # the machine's keyring
    url = make_url(pg_db.url)
    host, port, name = str(url.host), int(url.port or 5432), str(url.database)
    store.set_login_password(host, port, name, sw.logins["pm"], sw.passwords["pm"])
    assert "SecretService" in store.remembered_backend()  # type: ignore[operator]
    settings = Settings(data_dir=tmp_path, config_dir=tmp_path, database_url=login_url(pg_db, sw.logins["pm"]))
    db = open_database(settings, CredentialStore(config_dir=tmp_path / "config", data_dir=tmp_path / "data"))
    try:
        assert login_postgresql(db).role is Role.PARTS_MANAGER
    finally:
        db.dispose()
        store.delete_login_password(host, port, name, sw.logins["pm"])
