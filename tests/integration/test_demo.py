"""The demo generator: a consistent ledger, every order status, determinism, scaling, the CLI."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypedDict

import pytest
from sqlalchemy import func, select, text

from vmi_desktop.cli import main
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.demo import generate
from vmi_desktop.models import (
    Alert,
    ConnectionKind,
    CycleCount,
    Location,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Role,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    User,
    Vendor,
    utcnow,
)

END = date(2026, 3, 2)


class Size(TypedDict):
    """The size arguments of ``generate`` a test world is made with."""

    skus: int
    locations: int
    days: int
    end: date


SMALL: Size = {"skus": 40, "locations": 2, "days": 60, "end": END}


def _scalar(db: Database, sql: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_ledger_running_sum_matches_every_movement_and_the_levels(db: Database) -> None:
    stats = generate(db, **SMALL)
    assert stats.movements > 300
    # Each movement's on_hand_after is the running sum of its pair's quantities (in id order).
    assert (
        _scalar(
            db,
            """
        SELECT COUNT(*) FROM (
          SELECT on_hand_after, SUM(quantity) OVER (PARTITION BY sku_id, location_id ORDER BY id) AS run
          FROM stock_movements) m
        WHERE m.run <> m.on_hand_after""",
        )
        == 0
    )
    # Time order and id order agree within a pair.
    assert (
        _scalar(
            db,
            """
        SELECT COUNT(*) FROM (
          SELECT id, LAG(occurred_at) OVER (PARTITION BY sku_id, location_id ORDER BY id) AS prev, occurred_at
          FROM stock_movements) m
        WHERE m.prev > m.occurred_at""",
        )
        == 0
    )
    # The level is the last movement's on_hand_after, and points at it.
    assert (
        _scalar(
            db,
            """
        SELECT COUNT(*) FROM stock_levels l
        LEFT JOIN stock_movements m ON m.id = l.last_movement_id
        WHERE l.last_movement_id IS NOT NULL AND (m.on_hand_after <> l.on_hand OR m.id <> (
              SELECT MAX(id) FROM stock_movements x
              WHERE x.sku_id = l.sku_id AND x.location_id = l.location_id))""",
        )
        == 0
    )
    assert _scalar(db, "SELECT COUNT(*) FROM stock_levels") == 80
    assert _scalar(db, "SELECT COUNT(*) FROM stock_movements WHERE on_hand_after < 0") == 0
    # Counts keep counted vs system and point at their count movement.
    with db.sessions() as s:
        for count in s.scalars(select(CycleCount)):
            move = s.get(StockMovement, count.movement_id)
            assert move is not None and move.kind.value == "count"
            assert move.quantity == count.counted_qty - count.system_qty
            assert move.on_hand_after == count.counted_qty


def test_every_po_status_every_mode_and_consistent_quantities(db: Database) -> None:
    generate(db, **SMALL)
    with db.sessions() as s:
        statuses = set(s.scalars(select(PurchaseOrder.status).distinct()))
        assert statuses == set(POStatus)
        modes = set(s.scalars(select(SupplyAgreement.mode).distinct()))
        assert modes == set(ReplenishmentMode)
        # One primary per pair, some backups.
        assert s.scalar(select(func.count()).select_from(SupplyAgreement).where(SupplyAgreement.is_primary)) == 80
        assert s.scalars(select(func.count()).select_from(SupplyAgreement).where(~SupplyAgreement.is_primary)).one() > 0
        for po in s.scalars(select(PurchaseOrder)):
            assert po.lines, po.po_number
            assert po.history and po.history[-1].to_status == po.status, po.po_number
            times = [h.changed_at for h in po.history]
            assert times == sorted(times), po.po_number
            for line in po.lines:
                if po.status == POStatus.RECEIVED:
                    assert line.quantity_received == line.quantity_ordered
                    assert po.received_at is not None
                elif po.status == POStatus.PARTLY_RECEIVED:
                    assert line.quantity_received <= line.quantity_ordered
                else:
                    assert line.quantity_received == 0
                if po.status in (POStatus.DRAFT, POStatus.AWAITING_APPROVAL, POStatus.SENT):
                    assert line.quantity_acknowledged is None and line.quantity_shipped == 0
                if po.status in (POStatus.SHIPPED, POStatus.RECEIVED):
                    assert line.quantity_shipped == line.quantity_ordered
            if po.status == POStatus.PARTLY_RECEIVED:
                assert 0 < sum(ln.quantity_received for ln in po.lines) < sum(ln.quantity_ordered for ln in po.lines)
        # Receipts of received orders are in the ledger, linked to the line.
        linked = s.scalar(
            select(func.sum(StockMovement.quantity)).where(StockMovement.purchase_order_line_id.is_not(None))
        )
        received = s.scalars(select(func.sum(PurchaseOrderLine.quantity_received))).one()
        assert linked == received and received > 0


def test_vendors_users_alerts_and_audit_make_a_believable_world(db: Database) -> None:
    generate(db, **SMALL, manager="pm")
    with db.sessions() as s:
        vendors = list(s.scalars(select(Vendor).order_by(Vendor.id)))
        assert {v.connection_kind for v in vendors} == set(ConnectionKind)
        rest = [v for v in vendors if v.connection_kind == ConnectionKind.REST]
        assert len(rest) == 2 and all(v.base_url.startswith("http://127.0.0.1:") and v.customer_id for v in rest)
        assert {v.auth_kind.value for v in rest} == {"bearer", "oauth2"}
        users = {u.username: u for u in s.scalars(select(User))}
        assert users["pm"].role == Role.PARTS_MANAGER and users["lead"].role == Role.WAREHOUSE_LEAD
        reps = [u for u in users.values() if u.role == Role.SUPPLIER]
        assert len(reps) == len(rest) and {u.vendor_id for u in reps} == {v.id for v in rest}
        codes = set(s.scalars(select(Location.code)))
        assert "WH-NORTH" in codes
        alerts = list(s.scalars(select(Alert)))
        assert alerts and all(a.cause_key.split(":")[0] in {"below_min", "stock_out", "overdue"} for a in alerts)
        audit = s.execute(text("SELECT action, COUNT(*) FROM audit_entries GROUP BY action")).all()
        assert {action: n for action, n in audit}["demo.generate"] == 1


def _digest(db: Database) -> str:
    h = hashlib.sha256()
    with db.engine.connect() as conn:
        for sql in (
            "SELECT part_number, description, unit_cost, criticality FROM skus ORDER BY id",
            "SELECT vendor_id, sku_id, location_id, min_qty, max_qty, mode, unit_price FROM supply_agreements "
            "ORDER BY id",
            "SELECT id, sku_id, location_id, kind, quantity, on_hand_after, occurred_at FROM stock_movements "
            "ORDER BY id",
            "SELECT po_number, status, created_at FROM purchase_orders ORDER BY id",
            "SELECT sku_id, location_id, on_hand FROM stock_levels ORDER BY sku_id, location_id",
        ):
            for row in conn.execute(text(sql)):
                h.update(repr(tuple(str(v) for v in row)).encode())
    return h.hexdigest()


def _fresh(tmp_path: Path, name: str) -> Database:
    db = create_database(f"sqlite:///{tmp_path / name}")
    upgrade_database(db)
    return db


def test_same_seed_gives_identical_data_and_another_seed_does_not(tmp_path: Path) -> None:
    digests = []
    for name, seed in (("a.sqlite3", 7), ("b.sqlite3", 7), ("c.sqlite3", 8)):
        db = _fresh(tmp_path, name)
        generate(db, **SMALL, seed=seed)
        digests.append(_digest(db))
        db.dispose()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


@pytest.mark.parametrize("target", [3_000, 12_000])
def test_movement_target_is_roughly_honoured(sqlite_db: Database, target: int) -> None:
    stats = generate(sqlite_db, skus=60, locations=3, days=120, end=END, movements=target)
    assert 0.8 * target <= stats.movements <= 1.2 * target


def test_generated_ids_leave_room_for_new_rows(db: Database) -> None:
    generate(db, **SMALL)
    with db.transaction() as s:
        loc = Location(code="NEW-1", name="new")
        s.add(loc)
        s.flush()
        assert loc.id == 3
        s.add(
            StockMovement(
                sku_id=1,
                location_id=loc.id,
                kind="receipt",
                quantity=Decimal(1),
                on_hand_after=Decimal(1),
                occurred_at=utcnow(),
                recorded_by="t",
            )
        )
        s.flush()
    assert _scalar(db, "SELECT COUNT(*) FROM stock_levels") == 80


def test_generate_refuses_a_database_that_holds_data(sqlite_db: Database) -> None:
    generate(sqlite_db, **SMALL)
    from vmi_desktop.errors import ValidationError

    with pytest.raises(ValidationError, match="never mixed"):
        generate(sqlite_db, **SMALL)


def test_cli_refuses_a_non_empty_database_and_force_replaces_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert main(["--database-url", url, "demo", "--skus", "12", "--locations", "2", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert "rows/s" in out and "stock_movements" in out
    assert main(["--database-url", url, "demo", "--skus", "12", "--locations", "2", "--days", "30"]) == 2
    assert "never mixed" in capsys.readouterr().err
    assert main(["--database-url", url, "demo", "--skus", "5", "--locations", "1", "--days", "30", "--force"]) == 0
    db = create_database(url)
    assert _scalar(db, "SELECT COUNT(*) FROM skus") == 5
    assert _scalar(db, "SELECT COUNT(*) FROM stock_levels") == 5
    db.dispose()


def test_levels_show_an_interesting_dashboard(sqlite_db: Database) -> None:
    generate(sqlite_db, skus=200, locations=3, days=365, end=END)
    with sqlite_db.sessions() as s:
        pairs = s.execute(
            select(StockLevel.on_hand, SupplyAgreement.min_qty, SupplyAgreement.max_qty).join(
                SupplyAgreement,
                (SupplyAgreement.sku_id == StockLevel.sku_id)
                & (SupplyAgreement.location_id == StockLevel.location_id)
                & SupplyAgreement.is_primary,
            )
        ).all()
    assert sum(1 for oh, mn, _ in pairs if oh < mn) > 5
    assert sum(1 for oh, _, _ in pairs if oh == 0) > 0
    assert sum(1 for oh, _, mx in pairs if oh > mx) > 0


def test_bulk_path_restores_indexes_constraints_and_checks(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The large-load path (indexes and foreign keys dropped, checks relaxed) leaves the schema as it was."""
    from sqlalchemy import inspect

    from vmi_desktop.demo import generator

    def schema() -> tuple[set[str | None], set[str]]:
        insp = inspect(db.engine)
        indexes = {ix["name"] for t in ("stock_movements", "cycle_counts") for ix in insp.get_indexes(t)}
        fks = {
            str(fk["name"]) + ":" + fk["referred_table"]
            for t in ("stock_movements", "cycle_counts", "supply_agreements", "stock_levels")
            for fk in insp.get_foreign_keys(t)
        }
        return indexes, fks

    before = schema()
    monkeypatch.setattr(generator, "REINDEX_ABOVE", 0)
    monkeypatch.setattr(generator, "RELAX_CHECKS_ABOVE", 0)
    generate(db, **SMALL)
    assert schema() == before
    assert "ix_stock_movements_pair_time" in before[0]
    with db.engine.connect() as conn:
        if db.is_sqlite:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA ignore_check_constraints").scalar() == 0
    # Constraints are live again: a movement for an unknown SKU is refused.
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(
            StockMovement(
                sku_id=999_999,
                location_id=1,
                kind="receipt",
                quantity=Decimal(1),
                on_hand_after=Decimal(1),
                occurred_at=utcnow(),
                recorded_by="t",
            )
        )
        s.flush()


def test_cli_force_never_wipes_a_server_database(pg_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    generate(pg_db, skus=5, locations=1, days=30, end=END)
    assert main(["--database-url", pg_db.url, "demo", "--skus", "5", "--force"]) == 2
    assert "will not delete a server database" in capsys.readouterr().err
    assert _scalar(pg_db, "SELECT COUNT(*) FROM skus") == 5


def test_demo_if_empty_leaves_a_filled_database_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vmi_desktop.cli import main

    url = f"sqlite:///{tmp_path / 'once.sqlite3'}"
    args = ["--database-url", url, "--user", "pm", "demo", "--skus", "20", "--locations", "2", "--days", "30"]
    assert main([*args, "--if-empty"]) == 0
    first = tmp_path.joinpath("once.sqlite3").stat().st_size
    capsys.readouterr()
    assert main([*args, "--if-empty"]) == 0
    assert "left as it is" in capsys.readouterr().out
    assert main(args) == 2  # without --if-empty a filled database is refused
    assert tmp_path.joinpath("once.sqlite3").stat().st_size >= first


def test_demo_force_validates_first_and_only_a_parts_manager_may_replace_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kept.sqlite3'}"
    small = ["demo", "--skus", "8", "--locations", "1", "--days", "30"]
    assert main(["--database-url", url, "--user", "pm", *small]) == 0
    db = create_database(url)
    skus_before = _scalar(db, "SELECT COUNT(*) FROM skus")
    with db.transaction() as s:
        from vmi_desktop.models import Role
        from vmi_desktop.scope import Actor
        from vmi_desktop.users import add_user

        add_user(s, Actor("pm", Role.PARTS_MANAGER), "dora", Role.WAREHOUSE_LEAD)
    db.dispose()
    capsys.readouterr()
    with pytest.raises(SystemExit):  # a bad option is refused before anything is deleted
        main(["--database-url", url, "--user", "mallory", "demo", "--force", "--days", "5"])
    assert main(["--database-url", url, "--user", "mallory", *small, "--force"]) == 2
    assert "'mallory' is not known" in capsys.readouterr().err
    assert main(["--database-url", url, "--user", "dora", *small, "--force"]) == 2
    assert "only a parts manager may use demo --force" in capsys.readouterr().err
    db = create_database(url)
    assert _scalar(db, "SELECT COUNT(*) FROM skus") == skus_before  # nothing was deleted
    assert _scalar(db, "SELECT COUNT(*) FROM users WHERE username = 'mallory'") == 0
    db.dispose()
