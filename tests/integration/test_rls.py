"""Row-level security on PostgreSQL: what real supplier, lead and manager logins can do with plain SQL.

Each test connects over TCP to the throwaway cluster as logins the app created (``tests.logins``),
with their passwords, and runs SQL a person could type into psql. The app's own rule for what a
supplier sees is ``scope.visible``; the database's is the policies of migration 0005; they must agree
table by table.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from tests.logins import SharedWorld, add_logins, connect_as, shared_world
from vmi_desktop import scope
from vmi_desktop.commands import stock as stock_commands
from vmi_desktop.db import Database
from vmi_desktop.db.errors import DbProblem, problem_of
from vmi_desktop.db.rls import catalog_problems, reads_as_supplier
from vmi_desktop.identity import login_postgresql
from vmi_desktop.models import Base, Role
from vmi_desktop.queries import StockQuery
from vmi_desktop.queries.base import PageRequest
from vmi_desktop.replenishment import metrics
from vmi_desktop.scope import Actor

pytestmark = pytest.mark.postgres


@pytest.fixture
def sw(pg_db: Database) -> SharedWorld:
    return add_logins(pg_db, shared_world(pg_db))


@pytest.fixture
def as_login(pg_db: Database, sw: SharedWorld) -> Iterator[Any]:
    opened: list[Database] = []

    def open_as(key: str) -> Database:
        db = connect_as(pg_db, sw, key)
        opened.append(db)
        return db

    yield open_as
    for db in opened:
        db.dispose()


def _models() -> dict[str, Any]:
    return {str(getattr(mapper.local_table, "name", "")): mapper.class_ for mapper in Base.registry.mappers}


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _refused(exc: BaseException) -> bool:
    return problem_of(exc) is DbProblem.PERMISSION


def test_a_supplier_login_counts_exactly_the_rows_the_app_scopes_to_it_in_every_table(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    models = _models()
    tables = [t.name for t in Base.metadata.sorted_tables]
    for key, vendor in (("acme", sw.acme), ("bolt", sw.bolt)):
        login = as_login(key)
        actor = Actor(name=sw.logins[key], role=Role.SUPPLIER, vendor_id=vendor)
        mismatches = {}
        seen = {}
        with pg_db.sessions() as s:
            for table in tables:
                model = models[table]
                expected = int(
                    s.scalar(select(func.count()).select_from(model).where(scope.visible(actor, model))) or 0
                )
                try:
                    got = _count(login, table)
                except DBAPIError as exc:
                    assert _refused(exc), exc
                    got = 0  # no privilege at all: not one row
                seen[table] = got
                if got != expected:
                    mismatches[table] = (got, expected)
        assert mismatches == {}, f"{key}: (database, app) row counts differ"
        # the world gives every vendor-scoped table rows of both vendors, so each count means something
        for table in ("purchase_orders", "purchase_order_lines", "supply_agreements", "alerts", "audit_entries"):
            assert 0 < seen[table] < _count(pg_db, table), table
        for table in ("users", "counters", "sync_state"):
            assert seen[table] == 0


def test_staff_logins_see_every_row(pg_db: Database, sw: SharedWorld, as_login: Any) -> None:
    for key in ("lead", "pm"):
        login = as_login(key)
        for table in ("purchase_orders", "supply_agreements", "users", "audit_entries", "stock_movements"):
            assert _count(login, table) == _count(pg_db, table), (key, table)


def test_a_supplier_never_reads_users_credentials_or_the_customers_cost(sw: SharedWorld, as_login: Any) -> None:
    acme = as_login("acme")
    for statement in (
        "SELECT username FROM users",
        "SELECT token_url, client_id, client_cert_path, base_url FROM vendors",
        "SELECT * FROM vendors",
        "SELECT unit_cost FROM skus",
        "SELECT cursor FROM sync_state",
        "SELECT value FROM counters",
    ):
        with pytest.raises(DBAPIError) as info, acme.engine.connect() as conn:
            conn.execute(text(statement))
        assert _refused(info.value), statement
    with acme.engine.connect() as conn:
        assert conn.execute(text("SELECT code, name FROM vendors")).all() == [("ACME", "Acme Parts")]


def test_a_supplier_cannot_insert_update_or_delete_another_vendors_rows(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    acme = as_login("acme")
    bolt_order = sw.orders["BOLT"][1]
    bolt_agreement = sw.world.agreements[("BOLT", "P-1", "WH-1")]
    updates = {
        "purchase_orders": f"UPDATE purchase_orders SET note = 'mine now' WHERE id = {bolt_order}",
        "purchase_order_lines": f"UPDATE purchase_order_lines SET quantity_acknowledged = 1 "
        f"WHERE purchase_order_id = {bolt_order}",
        "alerts": f"UPDATE alerts SET status = 'resolved' WHERE vendor_id = {sw.bolt}",
    }
    for table, statement in updates.items():
        with acme.engine.begin() as conn:
            assert conn.execute(text(statement)).rowcount == 0, table  # the rows are not there for this login
    with pg_db.sessions() as s:
        assert s.scalar(text(f"SELECT note FROM purchase_orders WHERE id = {bolt_order}")) != "mine now"
    refused = [
        f"UPDATE supply_agreements SET min_qty = 0 WHERE id = {bolt_agreement}",
        f"UPDATE vendors SET name = 'x' WHERE id = {sw.bolt}",
        f"DELETE FROM purchase_orders WHERE id = {bolt_order}",
        f"DELETE FROM alerts WHERE vendor_id = {sw.bolt}",
        f"INSERT INTO purchase_orders (po_number, vendor_id, location_id, status, origin, currency, created_at, "
        f"created_by, hold_reason, note, version, updated_at) VALUES ('PO-EVIL', {sw.bolt}, "
        f"{sw.world.locations['WH-1']}, 'sent', 'supplier', 'EUR', now(), 'x', '', '', 1, now())",
        f"INSERT INTO alerts (kind, severity, status, cause_key, message, vendor_id, created_at) VALUES "
        f"('order_held', 'warning', 'open', 'evil', 'x', {sw.bolt}, now())",
        f"INSERT INTO threshold_proposals (agreement_id, proposed_min, proposed_max, reason, status, created_at) "
        f"VALUES ({bolt_agreement}, 0, 1, 'x', 'pending', now())",
        f"INSERT INTO audit_entries (occurred_at, actor, action, entity, entity_id, detail, vendor_id) VALUES "
        f"(now(), 'bolt', 'x', 'x', '1', '', {sw.bolt})",
        # its own order, moved to the other vendor
        f"UPDATE purchase_orders SET vendor_id = {sw.bolt} WHERE id = {sw.orders['ACME'][1]}",
        # a line for a pair it has no agreement for, on its own order
        f"INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku_id, supplier_sku, uom, quantity_ordered, "
        f"quantity_shipped, quantity_received, unit_price, status) VALUES ({sw.orders['ACME'][1]}, 9, "
        f"{sw.world.skus['P-3']}, '', 'EA', 1, 0, 0, 0, 'open')",
    ]
    for statement in refused:
        with pytest.raises(DBAPIError) as info, acme.engine.begin() as conn:
            conn.execute(text(statement))
        assert _refused(info.value), statement


def test_a_warehouse_lead_login_cannot_change_thresholds_agreements_or_vendors(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    lead = as_login("lead")
    agreement = sw.world.agreements[("ACME", "P-1", "WH-1")]
    for statement in (
        f"UPDATE supply_agreements SET min_qty = 1, max_qty = 2 WHERE id = {agreement}",
        f"UPDATE vendors SET base_url = 'https://evil.example' WHERE id = {sw.acme}",
        f"UPDATE skus SET unit_cost = 0 WHERE id = {sw.world.skus['P-1']}",
        f"DELETE FROM supply_agreements WHERE id = {agreement}",
        "UPDATE users SET role = 'parts_manager'",
        f"INSERT INTO supply_agreements (vendor_id, sku_id, location_id, supplier_sku, min_qty, max_qty, mode, "
        f"lead_time_days, pack_size, moq, unit_price, currency, is_primary, critical_priority, active, version, "
        f"updated_at) VALUES ({sw.acme}, {sw.world.skus['P-3']}, {sw.world.locations['VAN-7']}, '', 0, 1, "
        f"'proposal', 1, 1, 0, 0, 'EUR', true, false, true, 1, now())",
    ):
        with pytest.raises(DBAPIError) as info, lead.engine.begin() as conn:
            conn.execute(text(statement))
        assert _refused(info.value), statement


def test_the_ledger_and_the_audit_trail_are_append_only_for_every_login(
    sw: SharedWorld, as_login: Any, pg_db: Database
) -> None:
    for key in ("pm", "lead", "acme"):
        login = as_login(key)
        for statement in (
            "TRUNCATE audit_entries",
            "TRUNCATE stock_movements",
            "UPDATE audit_entries SET actor = 'nobody'",
            "DELETE FROM stock_movements",
            "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
            "ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_append_only",
            "ALTER TABLE audit_entries NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY vmi_supplier ON purchase_orders",
        ):
            with pytest.raises(DBAPIError), login.engine.begin() as conn:
                conn.execute(text(statement))
    # not even a superuser truncates them (only a migration could drop the trigger)
    with pytest.raises(DBAPIError, match="append-only"), pg_db.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_entries"))


def test_audit_entries_record_the_login_not_what_the_client_claims(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    acme = as_login("acme")
    with acme.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_entries (occurred_at, actor, action, entity, entity_id, detail, login, vendor_id) "
                f"VALUES (now(), 'pm', 'forged', 'x', '1', '', 'postgres', {sw.acme})"
            )
        )
    with pg_db.sessions() as s:
        assert s.execute(text("SELECT actor, login FROM audit_entries WHERE action = 'forged'")).one() == (
            "pm",
            sw.logins["acme"],
        )


def test_the_catalog_forces_rls_everywhere_and_the_check_notices_what_would_escape_it(pg_db: Database) -> None:
    with pg_db.engine.connect() as conn:
        assert catalog_problems(conn) == []
        tables = set(inspect(conn).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with pg_db.engine.connect() as conn:  # everything below is rolled back
        conn.execute(text("CREATE TABLE scratch (id integer)"))
        conn.execute(text("CREATE VIEW open_orders AS SELECT id FROM purchase_orders"))
        conn.execute(text("CREATE ROLE vmi_test_escape_member BYPASSRLS"))
        conn.execute(text("GRANT vmi_supplier TO vmi_test_escape_member"))
        conn.execute(text("CREATE FUNCTION sneaky() RETURNS integer LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$"))
        problems = catalog_problems(conn)
        conn.rollback()
    joined = "\n".join(problems)
    assert "table scratch does not force row-level security" in joined
    assert "view open_orders is not security_invoker" in joined
    assert "app role vmi_test_escape_member bypasses row-level security" in joined
    assert "sneaky() does not pin its search_path" in joined
    assert "owned by the login" in joined


def test_disabling_a_user_revokes_its_login_at_once(pg_db: Database, sw: SharedWorld, as_login: Any) -> None:
    from vmi_desktop import users

    acme = as_login("acme")
    conn = acme.engine.connect()
    try:
        assert conn.execute(text("SELECT count(*) FROM purchase_orders")).scalar_one() > 0
        conn.commit()
        with pg_db.transaction() as s:
            users.set_active(s, sw.manager, sw.logins["acme"], False)
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT count(*) FROM purchase_orders"))
    finally:
        conn.invalidate()
        conn.close()
    again = connect_as(pg_db, sw, "acme")
    try:
        with pytest.raises(DBAPIError) as info, again.engine.connect():
            pass
        assert "not permitted to log in" in str(info.value) or _refused(info.value)
    finally:
        again.dispose()


def test_the_position_function_sums_what_the_app_sums_and_only_for_the_callers_pairs(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    import importlib

    from vmi_desktop import order_status
    from vmi_desktop.replenishment.orders import open_quantity_by_pair, open_quantity_for_check

    migration = importlib.import_module("vmi_desktop.migrations.versions.0005_users_and_rls")
    assert set(migration.OPEN_STATUSES) == {s.value for s in order_status.OPEN}
    skus, locations = list(sw.world.skus.values()), list(sw.world.locations.values())
    with pg_db.sessions() as s:
        everything = open_quantity_by_pair(s, skus, locations)
        assert open_quantity_for_check(s, skus, locations) == everything and everything
    with as_login("acme").sessions() as s:
        mine = open_quantity_for_check(s, skus, locations)
    acme_pairs = {(sw.world.skus[k[1]], sw.world.locations[k[2]]) for k in sw.world.agreements if k[0] == "ACME"}
    assert mine == {pair: q for pair, q in everything.items() if pair in acme_pairs}


def test_a_supplier_login_may_read_exactly_the_columns_the_app_shows_it(pg_db: Database) -> None:
    from vmi_desktop.models import Sku, Vendor
    from vmi_desktop.scope import SUPPLIER_COLUMNS

    with pg_db.engine.connect() as conn:
        for model in (Vendor, Sku):
            table = {Vendor: "vendors", Sku: "skus"}[model]
            granted = {
                row[0]
                for row in conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                        "AND has_column_privilege('vmi_supplier', :t, column_name, 'SELECT')"
                    ),
                    {"t": table},
                )
            }
            assert granted == set(SUPPLIER_COLUMNS[model]), table


#: Settings that make the planner use parallel workers for any scan it can (the tables here are small: a
#: sequential scan, free to split among workers).
_PARALLEL = (
    "SET enable_indexscan = off",
    "SET enable_indexonlyscan = off",
    "SET enable_bitmapscan = off",
    "SET parallel_setup_cost = 0",
    "SET parallel_tuple_cost = 0",
    "SET min_parallel_table_scan_size = 0",
    "SET max_parallel_workers_per_gather = 2",
)


def test_a_supplier_login_gets_parallel_plans_whose_workers_see_only_its_rows(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    """Migration 0014 marks the session functions parallel safe: the workers must take the leader's login.

    The tables whose policy compares a column with the session's vendor; a policy with a correlated
    EXISTS (stock, movements, SKUs, lines) keeps its scan in the leader."""
    login = as_login("acme")
    actor = Actor(name=sw.logins["acme"], role=Role.SUPPLIER, vendor_id=sw.acme)
    models = _models()
    tables = ("supply_agreements", "purchase_orders", "alerts", "audit_entries")
    with login.engine.connect() as conn, pg_db.sessions() as s:
        serial = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}
        for statement in _PARALLEL:
            conn.execute(text(statement))
        for table in tables:
            plan = "\n".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN SELECT count(*) FROM {table}")))
            assert "Gather" in plan, (table, plan)
            parallel = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            expected = s.scalar(
                select(func.count()).select_from(models[table]).where(scope.visible(actor, models[table]))
            )
            assert parallel == serial[table] == expected, table
            assert 0 < parallel < _count(pg_db, table), table  # the count tells the vendor's rows from the rest


def _health(db: Database, actor: Actor) -> list[Any]:
    since = (datetime.now(UTC) - timedelta(days=365)).date()
    with db.sessions() as s:
        return metrics.sku_metrics(s, actor, since=since, worst_first=True)


def test_a_supplier_login_reads_its_pairs_health_through_its_own_functions_with_the_previews_figures(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    """Migration 0015: on its own login the health comes from ``vmi_own_movements`` and
    ``vmi_own_stock_levels``, and must equal what the parts manager's preview of it computes from the tables."""
    stock_commands.consume(pg_db, sw.manager, "P-1", "VAN-7", Decimal(2), reference="JOB-3")  # a stock-out
    seen_consumption = seen_stock_out = False
    for key, vendor in (("acme", sw.acme), ("bolt", sw.bolt)):
        login = as_login(key)
        own = login_postgresql(login)
        code = "ACME" if key == "acme" else "BOLT"
        preview = scope.supplier_preview(sw.manager, vendor, code)
        with login.sessions() as s, pg_db.sessions() as manager_session:
            assert reads_as_supplier(s, vendor)
            assert not reads_as_supplier(s, sw.bolt if key == "acme" else sw.acme)
            assert not reads_as_supplier(manager_session, vendor)  # the preview reads the tables
        mine, previewed = _health(login, own), _health(pg_db, preview)
        assert mine == previewed and mine, key
        seen_consumption |= any(h.consumed > 0 for h in mine)
        seen_stock_out |= any(h.stock_outs > 0 for h in mine)
    assert seen_consumption and seen_stock_out  # the figures compared are not all zero


def test_the_own_read_functions_return_exactly_the_rows_the_policies_let_a_supplier_read(
    sw: SharedWorld, as_login: Any
) -> None:
    for key in ("acme", "bolt"):
        with as_login(key).engine.connect() as conn:
            levels = set(conn.execute(text("SELECT sku_id, location_id, on_hand FROM vmi_own_stock_levels()")))
            assert levels == set(conn.execute(text("SELECT sku_id, location_id, on_hand FROM stock_levels")))
            period = {"start": datetime(2000, 1, 1, tzinfo=UTC), "end": datetime(2100, 1, 1, tzinfo=UTC)}
            columns = "sku_id, location_id, kind, quantity, on_hand_after"
            functions = sorted(conn.execute(text(f"SELECT {columns} FROM vmi_own_movements(:start, :end)"), period))
            table = sorted(conn.execute(text(f"SELECT {columns} FROM stock_movements")))
            assert functions == table and levels, key
    for key in ("lead", "pm"):  # staff read the tables: the functions are not theirs to call
        with as_login(key).engine.connect() as conn:
            with pytest.raises(DBAPIError) as refused:
                conn.execute(text("SELECT count(*) FROM vmi_own_stock_levels()"))
            assert _refused(refused.value), key


def test_a_supplier_logins_stock_count_equals_its_previews_searched_or_not(
    pg_db: Database, sw: SharedWorld, as_login: Any
) -> None:
    """Unsearched and unfiltered, its own login counts through ``vmi_own_stock_levels`` (migration 0015)."""
    query = StockQuery()
    for key, vendor, code in (("acme", sw.acme, "ACME"), ("bolt", sw.bolt, "BOLT")):
        login = as_login(key)
        own, preview = login_postgresql(login), scope.supplier_preview(sw.manager, vendor, code)
        for request in (
            PageRequest(),
            PageRequest(search="P-1"),
            PageRequest(filters={"location_id": sw.world.locations["WH-1"]}),
        ):
            with login.sessions() as s, pg_db.sessions() as manager_session:
                mine, previewed = query.count(s, own, request), query.count(manager_session, preview, request)
            assert mine == previewed, (key, request)
        with pg_db.sessions() as s:
            assert 0 < query.count(s, preview, PageRequest()) < query.count(s, sw.manager, PageRequest())
