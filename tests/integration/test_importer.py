"""Import and export of master data and history: row-level errors, all or nothing, idempotent, round trips."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.conftest import LEAD, MANAGER
from tests.world import World, build_world, measure_in
from vmi_desktop import importer
from vmi_desktop.cli import main
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import AuditEntry, CycleCount, Location, Sku, StockLevel, StockMovement, SupplyAgreement, Vendor

AGREEMENT_HEADER = ["vendor", "sku", "location", "min_qty", "max_qty", "pack_size", "mode"]


def _xlsx(path: Path, header: list[str], rows: list[list[Any]], sheet: str = "agreements") -> Path:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    workbook.save(path)
    return path


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    lines = [",".join(header), *(",".join(str(c) for c in row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _world(db: Database) -> World:
    with db.transaction() as s:
        world = build_world(s)
        s.add(Location(code="SITE-3", name="Site 3"))
    return world


def _snapshot(db: Database) -> dict[str, Any]:
    with db.transaction() as s:
        return {
            "agreements": sorted(
                (a.vendor_id, a.sku_id, a.location_id, a.min_qty, a.max_qty, a.pack_size, a.mode.value, a.version)
                for a in s.scalars(select(SupplyAgreement))
            ),
            "skus": sorted((k.part_number, k.description, k.version) for k in s.scalars(select(Sku))),
            "movements": s.scalar(select(func.count()).select_from(StockMovement)),
            "levels": sorted((lv.sku_id, lv.location_id, lv.on_hand) for lv in s.scalars(select(StockLevel))),
            "audit": s.scalar(select(func.count()).select_from(AuditEntry)),
        }


GOOD = [
    ["ACME", "P-3", "SITE-3", 2, 9, 1, "auto_po"],
    ["ACME", "P-1", "WH-1", 12, 60, 6, "auto_po"],
]
BAD = [
    ["ACME", "P-2", "SITE-3", 12, 8, 1, "auto_po"],
    ["NOPE", "P-2", "WH-1", 1, 2, 1, "auto_po"],
    ["ACME", "P-2", "VAN-7", 1, "lots", 1, "sometimes"],
    ["ACME", "P-3", "WH-1", 1.5, 4, 1, "proposal"],
]


def test_a_dry_run_lists_every_bad_row_with_sheet_row_column_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    _world(db)
    path = _xlsx(tmp_path / "agreements.xlsx", AGREEMENT_HEADER, GOOD + BAD)
    before = _snapshot(db)
    plan = importer.dry_run(db, MANAGER, "agreements", path)
    assert [r.action for r in plan.rows] == ["create", "update"] + ["rejected"] * 4
    errors = {(e.row, e.column): e.message for e in plan.errors}
    assert all(e.sheet == "agreements" for e in plan.errors)
    assert errors[(4, "min_qty")] == "min (12) is above max (8) for SKU P-2 at SITE-3"
    assert errors[(5, "vendor")] == "unknown vendor 'NOPE'"
    assert "max must be a plain number" in errors[(6, "max_qty")]
    assert "sometimes" in errors[(6, "mode")]
    assert "has a fraction, but EA is counted in whole units" in errors[(7, "min_qty")]
    assert _snapshot(db) == before
    with pytest.raises(importer.ImportRejected, match="nothing was imported"):
        importer.apply(db, MANAGER, "agreements", path)
    assert _snapshot(db) == before


def test_good_rows_apply_and_a_second_import_changes_nothing(db: Database, tmp_path: Path) -> None:
    world = _world(db)
    path = _xlsx(tmp_path / "agreements.xlsx", AGREEMENT_HEADER, GOOD)
    plan = importer.apply(db, MANAGER, "agreements", path)
    assert (plan.count("create"), plan.count("update")) == (1, 1)
    with db.transaction() as s:
        changed = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        assert (changed.min_qty, changed.max_qty, changed.version, changed.updated_by) == (12, 60, 2, "pm")
        new = s.scalars(select(SupplyAgreement).where(SupplyAgreement.location_id != world.locations["WH-1"])).all()
        assert any(a.sku_id == world.skus["P-3"] and a.min_qty == 2 and a.currency == "EUR" for a in new)
    before = _snapshot(db)
    again = importer.apply(db, MANAGER, "agreements", path)
    assert [r.action for r in again.rows] == ["unchanged", "unchanged"]
    after = _snapshot(db)
    assert after["agreements"] == before["agreements"] and after["audit"] == before["audit"] + 1


def test_good_rows_only_applies_them_and_saves_the_rejects(sqlite_db: Database, tmp_path: Path) -> None:
    _world(sqlite_db)
    path = _xlsx(tmp_path / "agreements.xlsx", AGREEMENT_HEADER, GOOD + BAD)
    rejects = tmp_path / "rejects.csv"
    plan = importer.apply(sqlite_db, MANAGER, "agreements", path, good_rows_only=True, rejects_path=rejects)
    assert plan.count("create") == 1 and plan.count("rejected") == 4
    lines = rejects.read_text().splitlines()
    assert lines[0] == ",".join(AGREEMENT_HEADER) + ",error"
    assert len(lines) == 5 and "unknown vendor 'NOPE'" in lines[2]


def test_a_thresholds_file_changes_only_min_and_max(sqlite_db: Database, tmp_path: Path) -> None:
    world = _world(sqlite_db)
    path = _csv(
        tmp_path / "thresholds.csv",
        ["vendor", "sku", "location", "min_qty", "max_qty"],
        [["ACME", "P-2", "WH-1", 7, 30]],
    )
    importer.apply(sqlite_db, MANAGER, "agreements", path)
    with sqlite_db.transaction() as s:
        a = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-2", "WH-1")])
        assert (a.min_qty, a.max_qty, a.pack_size, a.mode.value) == (7, 30, 1, "supplier_managed")


def test_primaries_can_swap_within_one_file(sqlite_db: Database, tmp_path: Path) -> None:
    world = _world(sqlite_db)
    header = ["vendor", "sku", "location", "min_qty", "max_qty", "is_primary"]
    rows = [["ACME", "P-3", "WH-1", 4, 12, "yes"], ["BOLT", "P-3", "WH-1", 4, 12, "no"]]
    importer.apply(sqlite_db, MANAGER, "agreements", _csv(tmp_path / "swap.csv", header, rows))
    with sqlite_db.transaction() as s:
        bolt = s.get_one(SupplyAgreement, world.agreements[("BOLT", "P-3", "WH-1")])
        assert not bolt.is_primary
        acme = s.scalar(
            select(SupplyAgreement).where(
                SupplyAgreement.vendor_id == world.vendors["ACME"], SupplyAgreement.sku_id == world.skus["P-3"]
            )
        )
        assert acme is not None and acme.is_primary


def test_a_second_primary_for_a_pair_is_refused_naming_the_first(sqlite_db: Database, tmp_path: Path) -> None:
    _world(sqlite_db)
    path = _csv(
        tmp_path / "p.csv", ["vendor", "sku", "location", "min_qty", "max_qty"], [["ACME", "P-3", "WH-1", 4, 12]]
    )
    plan = importer.dry_run(sqlite_db, MANAGER, "agreements", path)
    error = plan.rows[0].errors[0]
    assert (error.column, error.row) == ("is_primary", 2)
    assert "P-3 at WH-1 already has a primary agreement with BOLT" in error.message


def test_a_warehouse_lead_may_not_import_agreements(sqlite_db: Database, tmp_path: Path) -> None:
    _world(sqlite_db)
    with pytest.raises(PermissionDenied):
        importer.dry_run(sqlite_db, LEAD, "agreements", _xlsx(tmp_path / "a.xlsx", AGREEMENT_HEADER, GOOD))


def test_unknown_and_missing_columns_are_file_errors(sqlite_db: Database, tmp_path: Path) -> None:
    _world(sqlite_db)
    path = _csv(tmp_path / "a.csv", ["vendor", "sku", "minimum"], [["ACME", "P-1", 3]])
    plan = importer.dry_run(sqlite_db, MANAGER, "agreements", path)
    assert {(e.row, e.column) for e in plan.file_errors} == {(1, "minimum"), (1, "location")}


@pytest.mark.parametrize("entity", importer.ENTITIES)
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_export_imports_back_unchanged(db: Database, tmp_path: Path, entity: str, suffix: str) -> None:
    world = _world(db)
    with db.transaction() as s:
        measure_in(s, world.skus["P-2"])
    stock.receive(db, MANAGER, "P-1", "WH-1", "20")
    stock.receive(db, MANAGER, "P-2", "WH-1", "7.125")
    stock.consume(db, MANAGER, "P-2", "WH-1", "0.5", reference="JOB-1")
    stock.count(db, MANAGER, "P-1", "WH-1", "18")
    path = tmp_path / f"{entity}{suffix}"
    assert importer.export(db, MANAGER, entity, path) > 0
    before = _snapshot(db)
    plan = importer.apply(db, MANAGER, entity, path)
    assert plan.ok and {r.action for r in plan.rows} == {"unchanged"}, [(r.row, r.action, r.detail) for r in plan.rows]
    after = _snapshot(db)
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}


def test_new_master_data_imports_and_deactivation_round_trips(sqlite_db: Database, tmp_path: Path) -> None:
    _world(sqlite_db)
    skus = _csv(
        tmp_path / "skus.csv",
        ["part_number", "description", "uom", "unit_cost", "criticality", "active"],
        [["P-9", "Bearing 6204", "EA", "4.2", "critical", "yes"], ["P-1", "Part P-1", "EA", "2.5", "normal", "no"]],
    )
    plan = importer.apply(sqlite_db, MANAGER, "skus", skus)
    assert [r.action for r in plan.rows] == ["create", "update"]
    vendors = _csv(tmp_path / "vendors.csv", ["code", "name", "connection_kind"], [["NEWV", "New Vendor", "csv"]])
    importer.apply(sqlite_db, MANAGER, "vendors", vendors)
    with sqlite_db.transaction() as s:
        p9 = s.scalars(select(Sku).where(Sku.part_number == "P-9")).one()
        assert (p9.unit_cost, p9.criticality.value, p9.active) == (Decimal("4.2"), "critical", True)
        assert not s.scalars(select(Sku).where(Sku.part_number == "P-1")).one().active
        assert s.scalars(select(Vendor).where(Vendor.code == "NEWV")).one().sync_interval_s == 300


def test_a_sku_cannot_move_to_a_whole_unit_while_it_holds_fractions(sqlite_db: Database, tmp_path: Path) -> None:
    world = _world(sqlite_db)
    with sqlite_db.transaction() as s:
        measure_in(s, world.skus["P-2"])
    stock.receive(sqlite_db, MANAGER, "P-2", "WH-1", "1.5")
    plan = importer.dry_run(
        sqlite_db, MANAGER, "skus", _csv(tmp_path / "s.csv", ["part_number", "uom"], [["P-2", "EA"]])
    )
    assert "whole units" in plan.rows[0].errors[0].message


def test_history_goes_through_the_ledger_and_the_level_equals_the_ledger(db: Database, tmp_path: Path) -> None:
    world = _world(db)
    consumption = _csv(
        tmp_path / "consumption.csv",
        ["sku", "location", "occurred_at", "quantity", "reference"],
        [
            ["P-1", "WH-1", "2026-01-05T08:00:00Z", 3, "JOB-1"],
            ["P-1", "WH-1", "2026-01-05T08:00:00Z", 3, "JOB-2"],
            ["P-1", "WH-1", "2026-01-06", 2, ""],
        ],
    )
    plan = importer.apply(db, MANAGER, "consumption", consumption)
    assert plan.count("create") == 3
    assert importer.apply(db, MANAGER, "consumption", consumption).count("unchanged") == 3
    counts = _csv(
        tmp_path / "counts.csv",
        ["sku", "location", "counted", "counted_at"],
        [["P-1", "WH-1", 4, "2026-02-01T00:00:00Z"]],
    )
    importer.apply(db, MANAGER, "counts", counts)
    assert importer.apply(db, MANAGER, "counts", counts).count("unchanged") == 1
    opening = _csv(tmp_path / "stock.csv", ["sku", "location", "on_hand"], [["P-1", "WH-1", 25], ["P-2", "WH-1", 0]])
    plan = importer.apply(db, MANAGER, "stock", opening)
    assert [r.action for r in plan.rows] == ["update", "unchanged"]
    with db.transaction() as s:
        pair = (world.skus["P-1"], world.locations["WH-1"])
        level = s.scalar(
            select(StockLevel.on_hand).where(StockLevel.sku_id == pair[0], StockLevel.location_id == pair[1])
        )
        total = s.scalar(
            select(func.sum(StockMovement.quantity)).where(
                StockMovement.sku_id == pair[0], StockMovement.location_id == pair[1]
            )
        )
        assert level == total == 25
        assert s.scalar(select(func.count()).select_from(CycleCount)) == 1


def test_a_fraction_of_a_whole_unit_is_refused_in_stock(sqlite_db: Database, tmp_path: Path) -> None:
    _world(sqlite_db)
    plan = importer.dry_run(
        sqlite_db, MANAGER, "stock", _csv(tmp_path / "s.csv", ["sku", "location", "on_hand"], [["P-1", "WH-1", "2.5"]])
    )
    assert plan.rows[0].errors[0].column == "on_hand" and "whole units" in plan.rows[0].errors[0].message


def test_cli_dry_run_exits_non_zero_then_good_rows_apply_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "alice")
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    from vmi_desktop.db import create_database

    db = create_database(url)
    _world(db)
    before = _snapshot(db)
    mixed = _xlsx(tmp_path / "mixed.xlsx", AGREEMENT_HEADER, GOOD + BAD)
    assert main(["--database-url", url, "import", "agreements", str(mixed), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "rejected: sheet agreements, row 4, column min_qty: min (12) is above max (8)" in err
    assert "row 5, column vendor: unknown vendor 'NOPE'" in err
    assert _snapshot(db)["agreements"] == before["agreements"]
    good = _xlsx(tmp_path / "good.xlsx", AGREEMENT_HEADER, GOOD)
    assert main(["--database-url", url, "import", "agreements", str(good)]) == 0
    assert "1 created, 1 updated" in capsys.readouterr().out
    after_first = _snapshot(db)["agreements"]
    assert main(["--database-url", url, "import", "agreements", str(good)]) == 0
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out
    assert _snapshot(db)["agreements"] == after_first
    assert main(["--database-url", url, "export", "agreements", str(tmp_path / "out.csv")]) == 0
    db.dispose()


_cells = st.one_of(
    st.text(max_size=12),
    st.integers(-10, 10**16),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just(""),
    st.sampled_from(["ACME", "BOLT", "P-1", "P-2", "WH-1", "VAN-7", "auto_po", "yes", "1e3", "1,5", "-0"]),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.lists(_cells, min_size=7, max_size=7), min_size=1, max_size=6), st.sampled_from([".csv", ".xlsx"]))
def test_any_cells_end_as_row_fates_never_a_crash_or_a_partial_write(
    sqlite_db: Database, tmp_path: Path, rows: list[list[Any]], suffix: str
) -> None:
    if not hasattr(sqlite_db, "_world"):
        _world(sqlite_db)
        sqlite_db._world = True  # type: ignore[attr-defined]
    path = tmp_path / f"fuzz{suffix}"
    if suffix == ".csv":
        _csv(
            path,
            AGREEMENT_HEADER,
            [
                [str(c).replace(",", ";").replace("\n", " ").replace("\r", " ").replace('"', "") for c in r]
                for r in rows
            ],
        )
    else:
        _xlsx(
            path,
            AGREEMENT_HEADER,
            [[c if not isinstance(c, str) else "".join(ch for ch in c if ch.isprintable()) for c in r] for r in rows],
        )
    before = _snapshot(sqlite_db)
    plan = importer.dry_run(sqlite_db, MANAGER, "agreements", path)
    assert len(plan.rows) <= len(rows) and all(r.ok or r.errors for r in plan.rows)
    if not plan.ok:
        with pytest.raises(importer.ImportRejected):
            importer.apply(sqlite_db, MANAGER, "agreements", path)
        assert _snapshot(sqlite_db) == before


def test_new_agreements_start_with_their_pairs_figures_not_zero(db: Database, tmp_path: Path) -> None:
    """An agreement imported or added for a pair with stock and use copies them at once (the worklist's
    index would otherwise offer every such pair as a candidate until its next posting)."""
    from vmi_desktop import catalog_service

    world = _world(db)
    stock.receive(db, MANAGER, "P-3", "SITE-3", 9)
    stock.consume(db, MANAGER, "P-3", "SITE-3", 2)
    stock.receive(db, MANAGER, "P-2", "SITE-3", 5)
    importer.apply(db, MANAGER, "agreements", _xlsx(tmp_path / "a.xlsx", AGREEMENT_HEADER, [GOOD[0]]))
    with db.transaction() as s:
        added = catalog_service.create_agreement(
            s, MANAGER, vendor="BOLT", sku="P-2", location="SITE-3", min_qty="1", max_qty="8"
        )
        added_id = added.id
    with db.sessions() as s:
        imported = s.scalars(
            select(SupplyAgreement).where(
                SupplyAgreement.sku_id == world.skus["P-3"],
                SupplyAgreement.location_id == s.scalar(select(Location.id).where(Location.code == "SITE-3")),
            )
        ).one()
        assert (imported.pair_on_hand, imported.pair_recent_use) == (Decimal(7), Decimal(2))
        assert imported.pair_used_at is not None
        by_hand = s.get_one(SupplyAgreement, added_id)
        assert (by_hand.pair_on_hand, by_hand.pair_recent_use, by_hand.pair_used_at) == (Decimal(5), Decimal(0), None)


def test_a_cell_holding_a_control_character_rejects_its_row_and_the_good_rows_apply(
    db: Database, tmp_path: Path
) -> None:
    # PostgreSQL refused the whole import at the write with a driver error; SQLite stored the NUL in a code
    _world(db)
    path = tmp_path / "skus.csv"
    path.write_bytes(
        b"part_number,description,uom\n"
        b"NEW-1,good part,EA\n"
        b"NEW-2,bad\x00part,EA\n"
        b"NEW\x073,bell,EA\n"
        b'NEW-4,"two\nlines\ttabbed",EA\n'
    )
    plan = importer.dry_run(db, MANAGER, "skus", path)
    assert [r.action for r in plan.rows] == ["create", "rejected", "rejected", "create"]
    errors = {(e.row, e.column): e.message for e in plan.errors}
    assert (
        errors[(3, "description")]
        == "description holds an invisible control character (U+0000) at position 4: remove it"
    )
    assert "(U+0007) at position 4" in errors[(4, "part_number")]
    importer.apply(db, MANAGER, "skus", path, good_rows_only=True)
    with db.transaction() as s:
        added = dict(s.execute(select(Sku.part_number, Sku.description).where(Sku.part_number.like("NEW-%"))).all())
    assert added == {"NEW-1": "good part", "NEW-4": "two\nlines\ttabbed"}
