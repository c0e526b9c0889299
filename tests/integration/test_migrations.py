"""Alembic owns the schema: from empty, matching the models, upgrading with a backup, refusing newer."""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from vmi_desktop.db import Database, DatabaseTooNewError, create_database, migrate
from vmi_desktop.models import Base


def test_migrating_an_empty_database_creates_every_table(tmp_path: Path) -> None:
    db = create_database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    result = migrate.upgrade_database(db)
    assert result.from_revision is None and result.to_revision == migrate.head_revision()
    assert result.backup is None
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.current_revision(db) == migrate.head_revision()


def test_schema_from_migrations_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_sqlite_file_uses_wal_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_newer_than_the_app_is_refused_and_left_alone(sqlite_db: Database) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(DatabaseTooNewError, match="newer version of VMI Desktop") as info:
        migrate.upgrade_database(sqlite_db)
    assert "nothing was changed" in str(info.value)
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"


FUTURE_REVISION = '''
"""test-only second revision"""
import sqlalchemy as sa
from alembic import op

revision = "9000_test"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("test_extra", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("test_extra")
'''


def test_older_database_is_upgraded_after_a_backup_copy(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO locations (code, name, kind, allow_negative_stock, active, version, "
                "updated_at) VALUES ('WH-OLD', 'Old', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
            )
        )
    head = migrate.head_revision()
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9000_test.py").write_text(FUTURE_REVISION.replace("{head}", head))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)

    result = migrate.upgrade_database(sqlite_db)

    assert (result.from_revision, result.to_revision) == (head, "9000_test")
    assert result.backup is not None and result.backup.exists()
    backup = sqlite3.connect(result.backup)
    try:
        assert backup.execute("SELECT code FROM locations").fetchall() == [("WH-OLD",)]
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
    finally:
        backup.close()
    assert "test_extra" in inspect(sqlite_db.engine).get_table_names()


def test_reopening_an_up_to_date_database_changes_nothing(sqlite_db: Database) -> None:
    result = migrate.upgrade_database(sqlite_db)
    assert result.from_revision == result.to_revision and result.backup is None


def _stamp_0001(db: Database) -> None:
    from alembic import command

    cfg = migrate.alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")


def test_upgrade_from_0001_keeps_every_fractional_value_exactly(tmp_path: Path) -> None:
    """0001 on SQLite stored fractions as binary floats; 0002 turns them into exact integer thousandths."""
    db = create_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    _stamp_0001(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO locations (id, code, name, kind, allow_negative_stock, active, version, updated_at) "
            "VALUES (1, 'WH', 'W', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO skus (id, part_number, description, uom, unit_cost, criticality, active, version, updated_at)"
            " VALUES (1, 'OIL', '', 'L', 12.3456, 'normal', 1, 1, '2026-01-01 00:00:00'),"
            " (2, 'BOLT', '', 'EA', 0.05, 'normal', 1, 1, '2026-01-01 00:00:00'),"
            " (3, 'ROPE', '', 'FATHOM', 1, 'normal', 1, 1, '2026-01-01 00:00:00')"
        )
        # what 0001 wrote after postings of 0.1 and 0.2 litres: the float sum
        conn.exec_driver_sql(
            "INSERT INTO stock_levels (sku_id, location_id, on_hand, updated_at) VALUES "
            "(1, 1, 0.1 + 0.2, '2026-01-01 00:00:00'), (2, 1, 7, '2026-01-01 00:00:00'), "
            "(3, 1, 2.5, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO stock_movements (id, sku_id, location_id, kind, quantity, on_hand_after, occurred_at, "
            "recorded_at, recorded_by, reference, note) VALUES "
            "(1, 1, 1, 'receipt', 0.1, 0.1, '2026-01-01', '2026-01-01', 'pm', '', ''), "
            "(2, 1, 1, 'receipt', 0.2, 0.1 + 0.2, '2026-01-01', '2026-01-01', 'pm', '', ''), "
            "(3, 2, 1, 'receipt', 7, 7, '2026-01-01', '2026-01-01', 'pm', '', ''), "
            "(4, 1, 1, 'receipt', 123456789.123, 123456789.423, '2026-01-01', '2026-01-01', 'pm', '', '')"
        )
        conn.exec_driver_sql(
            "INSERT INTO vendors (id, code, name, contact_name, contact_email, contact_phone, connection_kind,"
            " base_url, auth_kind, token_url, client_id, client_cert_path, customer_id, exchange_folder,"
            " sync_interval_s, active,"
            " version, updated_at) VALUES (1, 'V', 'V', '', '', '', 'manual', '', 'none', '', '', '', '', '', 300, 1,"
            " 1, '2026-01-01 00:00:00')"
        )
        # min 0.3 < max 0.5 holds before and after, but not with one column scaled and the other not
        conn.exec_driver_sql(
            "INSERT INTO supply_agreements (id, vendor_id, sku_id, location_id, supplier_sku, min_qty, max_qty, mode,"
            " lead_time_days, pack_size, moq, unit_price, currency, is_primary, critical_priority, active, version,"
            " updated_at) VALUES (1, 1, 1, 1, '', 0.3, 0.5, 'proposal', 7, 0.1, 0, 2.75, 'EUR', 1, 0, 1, 1,"
            " '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO threshold_proposals (id, agreement_id, proposed_min, proposed_max, reason, status, created_at)"
            " VALUES (1, 1, 0.2, 0.4, '', 'pending', '2026-01-01 00:00:00')"
        )
        assert conn.exec_driver_sql("SELECT typeof(on_hand) FROM stock_levels WHERE sku_id = 1").scalar() == "real"

    result = migrate.upgrade_database(db)

    assert result.from_revision == "0001" and result.backup is not None
    with db.engine.connect() as conn:
        for table, column, _scale in _exact_columns():
            kinds = {row[0] for row in conn.exec_driver_sql(f"SELECT DISTINCT typeof({column}) FROM {table}")}
            assert kinds <= {"integer", "null"}, f"{table}.{column} holds {kinds}"
    with db.transaction() as session:
        from vmi_desktop.models import Sku, StockLevel, StockMovement, SupplyAgreement, ThresholdProposal, UnitOfMeasure

        levels = {lv.sku_id: lv.on_hand for lv in session.query(StockLevel)}
        assert levels == {1: Decimal("0.300"), 2: Decimal("7.000"), 3: Decimal("2.500")}
        assert [m.on_hand_after for m in session.query(StockMovement).order_by(StockMovement.id)] == [
            Decimal("0.100"),
            Decimal("0.300"),
            Decimal("7.000"),
            Decimal("123456789.423"),
        ]
        agreement = session.get_one(SupplyAgreement, 1)
        assert (agreement.min_qty, agreement.max_qty, agreement.pack_size, agreement.unit_price) == (
            Decimal("0.300"),
            Decimal("0.500"),
            Decimal("0.100"),
            Decimal("2.7500"),
        )
        proposal = session.get_one(ThresholdProposal, 1)
        assert (proposal.proposed_min, proposal.proposed_max) == (Decimal("0.200"), Decimal("0.400"))
        assert session.get(Sku, 1).unit_cost == Decimal("12.3456")  # type: ignore[union-attr]
        assert session.get(Sku, 2).unit_cost == Decimal("0.0500")  # type: ignore[union-attr]
        # an unknown unit with a fractional level is added as measured
        fathom = session.get(UnitOfMeasure, "FATHOM")
        assert fathom is not None and fathom.whole is False
        assert session.get_one(UnitOfMeasure, "EA").whole is True
    # the ledger is still append-only after the upgrade
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE stock_movements SET note = 'x' WHERE id = 1")


def _exact_columns() -> tuple[tuple[str, str, int], ...]:
    import importlib

    module = importlib.import_module("vmi_desktop.migrations.versions.0002_exact_quantities_units")
    columns: tuple[tuple[str, str, int], ...] = module.EXACT_COLUMNS
    return columns


def test_every_exact_column_of_0001_is_converted_by_0002(tmp_path: Path) -> None:
    """A quantity or money column that 0001 created and 0002 forgot would keep its binary floats."""
    from vmi_desktop.models.base import ExactDecimal

    db = create_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    _stamp_0001(db)
    inspector = inspect(db.engine)
    in_0001 = {(t, c["name"]) for t in inspector.get_table_names() for c in inspector.get_columns(t)}
    exact_in_models = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, ExactDecimal)
    }
    assert exact_in_models & in_0001 == {(t, c) for t, c, _ in _exact_columns()}


def test_upgrade_to_0003_keys_existing_inbox_events_and_keeps_them_deduplicated(db: Database) -> None:
    """Events pulled before 0003 keep their ids; their sha256 keys still catch a replay of them."""
    import hashlib

    from alembic import command

    from tests.world import build_world
    from vmi_desktop.models import InboxEvent

    with db.transaction() as session:
        vendor_id = build_world(session).vendors["ACME"]
    cfg = migrate.alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with db.engine.begin() as conn:
        for i, event_id in enumerate(["EV-1", "E" * 100]):
            conn.execute(
                text(
                    "INSERT INTO inbox_events (vendor_id, event_id, type, payload, status, reason, received_at) "
                    "VALUES (:v, :e, 'thresholds.proposed', '{}', 'applied', '', :t)"
                ),
                {"v": vendor_id, "e": event_id, "t": f"2026-01-0{i + 1} 00:00:00+00:00"},
            )
    migrate.upgrade_database(db)
    with db.transaction() as session:
        rows = {e.event_id: e.event_key for e in session.query(InboxEvent)}
    assert rows == {e: hashlib.sha256(e.encode()).hexdigest() for e in ("EV-1", "E" * 100)}
    with pytest.raises(Exception, match=r"(?i)unique"), db.transaction() as session:
        session.add(
            InboxEvent(
                vendor_id=vendor_id,
                event_id="EV-1",
                event_key=rows["EV-1"],
                type="x",
                payload="{}",
                status="applied",
                reason="",
            )
        )


def test_head_read_from_the_revision_files_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    assert migrate.head_revision() == ScriptDirectory.from_config(cfg).get_current_head()


def test_opening_an_up_to_date_database_does_not_import_alembic(sqlite_template: Path, tmp_path: Path) -> None:
    """A start on an up-to-date database pays for no migration machinery."""
    import subprocess
    import sys

    copy = tmp_path / "current.sqlite3"
    shutil.copyfile(sqlite_template, copy)
    code = (
        "import sys; from vmi_desktop.db import create_database; from vmi_desktop.db.migrate import upgrade_database;"
        f"upgrade_database(create_database('sqlite:///{copy}')); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


FAILING_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "9001_fails"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("UPDATE locations SET name = 'changed'")
    raise RuntimeError("a migration step failed")


def downgrade() -> None:
    pass
"""


def test_a_failing_upgrade_leaves_the_sqlite_file_as_it_was(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO locations (code, name, kind, allow_negative_stock, active, version, "
                "updated_at) VALUES ('WH-OLD', 'Old', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
            )
        )
    head = migrate.head_revision()
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_fails.py").write_text(FAILING_REVISION.replace("{head}", head))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
    with pytest.raises(RuntimeError, match="a migration step failed"):
        migrate.upgrade_database(sqlite_db)
    assert "half_done" not in inspect(sqlite_db.engine).get_table_names()  # the DDL was rolled back too
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM locations")).scalars().all() == ["Old"]
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_upgrade_to_0006_copies_each_pairs_figures_from_the_ledger(tmp_path: Path) -> None:
    """0006 fills the agreements' pair figures (on hand, the last 30 days' use, the newest use) once."""
    from datetime import UTC, datetime, timedelta

    from alembic import command

    db = create_database(f"sqlite:///{tmp_path / 'before-0006.sqlite3'}")
    cfg = migrate.alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    recent = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S.%f")
    old = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with db.engine.begin() as conn:  # quantities as stored at 0004 on SQLite: integer thousandths
        conn.exec_driver_sql(
            "INSERT INTO locations (id, code, name, kind, allow_negative_stock, active, version, updated_at) "
            "VALUES (1, 'WH', 'W', 'warehouse', 0, 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO skus (id, part_number, description, uom, unit_cost, criticality, active, version, updated_at)"
            " VALUES (1, 'P', '', 'EA', 0, 'normal', 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO vendors (id, code, name, contact_name, contact_email, contact_phone, connection_kind,"
            " base_url, auth_kind, token_url, client_id, client_cert_path, customer_id, exchange_folder,"
            " sync_interval_s, active, version, updated_at) VALUES (1, 'V', 'V', '', '', '', 'manual', '', 'none',"
            " '', '', '', '', '', 300, 1, 1, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO supply_agreements (id, vendor_id, sku_id, location_id, supplier_sku, min_qty, max_qty, mode,"
            " lead_time_days, pack_size, moq, unit_price, currency, is_primary, critical_priority, active, version,"
            " updated_at) VALUES (1, 1, 1, 1, '', 5000, 20000, 'proposal', 7, 1000, 0, 0, 'EUR', 1, 0, 1, 1,"
            " '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO stock_levels (sku_id, location_id, on_hand, updated_at) VALUES (1, 1, 11000, ?)", (recent,)
        )
        conn.exec_driver_sql(
            "INSERT INTO stock_movements (id, sku_id, location_id, kind, quantity, on_hand_after, occurred_at, "
            "recorded_at, recorded_by, reference, note) VALUES "
            "(1, 1, 1, 'receipt', 20000, 20000, ?, ?, 'pm', '', ''), "
            "(2, 1, 1, 'consumption', -4000, 16000, ?, ?, 'pm', '', ''), "
            "(3, 1, 1, 'consumption', -5000, 11000, ?, ?, 'pm', '', '')",
            (old, old, old, old, recent, recent),
        )
    migrate.upgrade_database(db)
    with db.sessions() as session:
        from vmi_desktop.models import SupplyAgreement

        agreement = session.get_one(SupplyAgreement, 1)
        assert (agreement.pair_on_hand, agreement.pair_recent_use) == (Decimal("11.000"), Decimal("5.000"))
        assert agreement.pair_used_at is not None and agreement.pair_used_at.strftime("%Y-%m-%d %H:%M:%S.%f") == recent
    db.dispose()


def test_upgrade_to_0012_copies_the_gross_use_of_pairs_with_a_reversal_in_the_window(db: Database) -> None:
    """0012 recomputes the copied use of the pairs whose net and gross consumption differ (a reversal in
    the window), as the gross: the bound the worklist's index relies on; other copies are left as they are."""
    from datetime import UTC, datetime, timedelta

    from alembic import command
    from sqlalchemy import select, update

    from tests.conftest import MANAGER
    from tests.world import build_world
    from vmi_desktop import ledger
    from vmi_desktop.models import SupplyAgreement

    now = datetime.now(UTC)
    with db.transaction() as session:
        world = build_world(session)
        ledger.post_receipt(session, MANAGER, "P-1", "WH-1", 40, occurred_at=now - timedelta(days=50))
        old = ledger.post_consumption(session, MANAGER, "P-1", "WH-1", 10, occurred_at=now - timedelta(days=40))
        ledger.reverse_movement(session, MANAGER, old.movement_id, reason="x", occurred_at=now - timedelta(days=25))
        ledger.post_consumption(session, MANAGER, "P-1", "WH-1", 12, occurred_at=now - timedelta(days=2))
        ledger.post_receipt(session, MANAGER, "P-2", "WH-1", 40, occurred_at=now - timedelta(days=50))
        ledger.post_consumption(session, MANAGER, "P-2", "WH-1", 7, occurred_at=now - timedelta(days=3))
    cfg = migrate.alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    with db.transaction() as session:  # the copies as 0011's ledger wrote them: the net use
        session.execute(
            update(SupplyAgreement).where(SupplyAgreement.sku_id == world.skus["P-1"]).values(pair_recent_use=2)
        )
        session.execute(
            update(SupplyAgreement).where(SupplyAgreement.sku_id == world.skus["P-2"]).values(pair_recent_use=5)
        )
    migrate.upgrade_database(db)
    with db.sessions() as session:
        use = dict(
            session.execute(
                select(SupplyAgreement.sku_id, SupplyAgreement.pair_recent_use).where(
                    SupplyAgreement.location_id == world.locations["WH-1"]
                )
            ).all()
        )
    assert use[world.skus["P-1"]] == Decimal(12)  # recomputed: gross
    assert use[world.skus["P-2"]] == Decimal(5)  # no reversal: left as it was (a deliberately wrong 5 stays)
