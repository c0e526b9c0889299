"""Suggested thresholds over the real ledger (SQLite and PostgreSQL): history, replay, apply, scope, CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from tests.history import patterns, post_consumption
from tests.world import World, build_world
from vmi_desktop.catalog_service import RowConflict, update_agreement
from vmi_desktop.cli import main
from vmi_desktop.db import Database, create_database
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.models import AuditEntry, MovementKind, Role, Sku, StockMovement, SupplyAgreement, utcnow
from vmi_desktop.replenishment import policy, thresholds
from vmi_desktop.replenishment.replay import replay
from vmi_desktop.replenishment.thresholds import (
    ThresholdSetting,
    apply_suggestions,
    daily_consumption,
    suggest_thresholds,
)
from vmi_desktop.scope import Actor

WH1 = {("ACME", "P-1"): "steady", ("ACME", "P-2"): "tenth", ("BOLT", "P-3"): "lumpy"}


def _world_with_history(db: Database) -> World:
    today = utcnow().date()
    series = patterns()
    with db.transaction() as session:
        world = build_world(session)
        for (_vendor, sku), name in WH1.items():
            post_consumption(session, world.skus[sku], world.locations["WH-1"], series[name], today)
    return world


def test_suggestions_learn_from_the_ledger_and_replay_both_policies(db: Database, manager: Actor) -> None:
    world = _world_with_history(db)
    with db.sessions() as session:
        run = suggest_thresholds(session, manager, target=0.95)
    assert len(run.suggestions) == 4
    by_pair = {(s.terms.part_number, s.terms.location_code): s for s in run.suggestions}
    steady = by_pair[("P-1", "WH-1")]
    series = patterns()["steady"]
    assert (steady.suggested_min, steady.suggested_max) == policy.suggest(series, 5, 0.95, pack=6)
    assert steady.demand_class == "smooth" and steady.mean_daily == pytest.approx(3.0)
    # the replay is the pure replay of the last 365 days with the agreement's lead time and pack
    now = replay(series[-365:], 10.0, 50.0, 5, pack=6.0)
    assert steady.current.fill_rate == pytest.approx(now.total_fill_rate())
    assert steady.current.orders == int(now.orders[0])
    assert steady.current.on_hand_value == pytest.approx(float(now.mean_on_hand[0]) * 2.5)
    assert steady.suggested.fill_rate is not None and steady.suggested.fill_rate >= 0.95
    # no history at VAN-7: nothing to learn, min 0 and one pack; nothing demanded in the replay
    idle = by_pair[("P-1", "VAN-7")]
    assert (idle.demand_class, idle.suggested_min, idle.suggested_max) == ("none", Decimal(0), Decimal(1))
    assert idle.current.fill_rate is None
    assert run.totals("current").stockout_days >= 0
    assert world.agreements[("ACME", "P-1", "WH-1")] == steady.terms.agreement_id


@pytest.mark.parametrize("one_pass", [False, True], ids=["pair lists", "one pass"])
def test_daily_consumption_sums_consumption_per_utc_day_and_ignores_other_movements(
    db: Database, one_pass: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if one_pass:
        monkeypatch.setattr(thresholds, "_SCAN_ABOVE", 0)
    with db.transaction() as session:
        world = build_world(session)
        pair = (world.skus["P-1"], world.locations["WH-1"])
        day = datetime(2026, 3, 10, tzinfo=UTC)
        other = (world.skus["P-2"], world.locations["WH-1"])  # not asked for: left out in either way
        rows = [
            (MovementKind.CONSUMPTION, -2, day + timedelta(hours=1)),
            (MovementKind.CONSUMPTION, -3, day + timedelta(hours=23, minutes=59)),
            (MovementKind.CONSUMPTION, -4, day + timedelta(days=1)),  # the next day
            (MovementKind.RECEIPT, 50, day + timedelta(hours=2)),
            (MovementKind.TRANSFER_OUT, -7, day + timedelta(hours=3)),
        ]
        session.execute(
            insert(StockMovement),
            [
                {
                    "sku_id": pair[0],
                    "location_id": pair[1],
                    "kind": kind,
                    "quantity": Decimal(q),
                    "on_hand_after": Decimal(0),
                    "occurred_at": at,
                    "recorded_by": "t",
                }
                for kind, q, at in rows
            ]
            + [
                {
                    "sku_id": other[0],
                    "location_id": other[1],
                    "kind": MovementKind.CONSUMPTION,
                    "quantity": Decimal(-9),
                    "on_hand_after": Decimal(0),
                    "occurred_at": day,
                    "recorded_by": "t",
                }
            ],
        )
    with db.sessions() as session:
        matrix = daily_consumption(session, [pair, (pair[0], world.locations["VAN-7"])], day.date(), 3)
    assert matrix.tolist() == [[5.0, 4.0, 0.0], [0.0, 0.0, 0.0]]


def test_applying_is_audited_per_row_and_a_stale_row_applies_nothing(db: Database, manager: Actor) -> None:
    _world_with_history(db)
    with db.sessions() as session:
        run = suggest_thresholds(session, manager)
    chosen = [s for s in run.suggestions if s.changes]
    assert len(chosen) >= 3
    settings = [
        ThresholdSetting(s.terms.agreement_id, s.terms.version, s.suggested_min, s.suggested_max) for s in chosen
    ]
    # someone saves one of them first: the whole batch is refused
    with db.transaction() as session:
        stale = session.get(SupplyAgreement, chosen[1].terms.agreement_id)
        assert stale is not None
        update_agreement(session, manager, stale.id, stale.version, supplier_sku="changed meanwhile")
    with pytest.raises(RowConflict), db.transaction() as session:
        apply_suggestions(session, manager, settings)
    with db.sessions() as session:
        first = session.get(SupplyAgreement, chosen[0].terms.agreement_id)
        assert first is not None and (first.min_qty, first.max_qty) == (
            chosen[0].terms.min_qty,
            chosen[0].terms.max_qty,
        )
        run = suggest_thresholds(session, manager)
    settings = [
        ThresholdSetting(s.terms.agreement_id, s.terms.version, s.suggested_min, s.suggested_max)
        for s in run.suggestions
        if s.changes
    ]
    with db.transaction() as session:
        batch = apply_suggestions(session, manager, settings, note="test")
    assert [e.edit_id for e in batch.edits] == [s.agreement_id for s in settings]
    with db.sessions() as session:
        for s in settings:
            row = session.get(SupplyAgreement, s.agreement_id)
            assert row is not None and (row.min_qty, row.max_qty) == (s.min_qty, s.max_qty)
            assert row.updated_by == "pm"
        actions = [
            (e.action, e.actor)
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("agreement.%")).order_by(AuditEntry.id)
            )
        ]
    assert actions.count(("agreement.update", "pm")) == 1 + len(settings)  # the supplier_sku edit and the batch
    assert actions[-1] == ("agreement.apply_suggested_thresholds", "pm")


def test_a_warehouse_lead_may_look_but_not_apply(db: Database, lead: Actor) -> None:
    _world_with_history(db)
    with db.sessions() as session:
        run = suggest_thresholds(session, lead)
        assert run.suggestions
        s = run.suggestions[0]
        with pytest.raises(PermissionDenied):
            apply_suggestions(
                session, lead, [ThresholdSetting(s.terms.agreement_id, s.terms.version, Decimal(1), Decimal(2))]
            )


def test_a_supplier_sees_suggestions_for_its_own_agreements_only(db: Database) -> None:
    world = _world_with_history(db)
    bolt = Actor(name="bolt-rep", role=Role.SUPPLIER, vendor_id=world.vendors["BOLT"])
    with db.sessions() as session:
        run = suggest_thresholds(session, bolt)
        assert [(s.terms.vendor_code, s.terms.part_number) for s in run.suggestions] == [("BOLT", "P-3")]
        assert suggest_thresholds(session, bolt, vendor="ACME").suggestions == []


def test_system_mode_meets_the_aggregate_target_holding_less_of_the_dear_part(db: Database, manager: Actor) -> None:
    world = _world_with_history(db)
    with db.transaction() as session:
        dear = session.get(Sku, world.skus["P-3"])
        assert dear is not None
        dear.unit_cost = Decimal(400)
    with db.sessions() as session:
        per_part = suggest_thresholds(session, manager, location="WH-1")
        pooled = suggest_thresholds(session, manager, location="WH-1", system_mode=True)
    assert pooled.expected_aggregate_fill is not None and pooled.expected_aggregate_fill >= 0.95 - 1e-9
    low = {s.terms.part_number: s.suggested_min for s in per_part.suggestions}
    pooled_low = {s.terms.part_number: s.suggested_min for s in pooled.suggestions}
    assert pooled_low["P-3"] < low["P-3"]
    assert pooled.totals("suggested").on_hand_value < per_part.totals("suggested").on_hand_value


def test_an_unknown_vendor_is_named(db: Database, manager: Actor) -> None:
    _world_with_history(db)
    with db.sessions() as session, pytest.raises(NotFoundError, match="unknown vendor 'NOPE'"):
        suggest_thresholds(session, manager, vendor="NOPE")


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("VMI_USER", "alice")
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    db = create_database(url)
    _world_with_history(db)
    db.dispose()
    return url


def test_cli_suggests_as_table_json_and_csv_then_applies(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", url, "thresholds", "suggest", "--location", "WH-1"]) == 0
    out = capsys.readouterr().out
    assert "suggested thresholds at fill rate 0.95 (per pair)" in out
    assert "P-1" in out and "smooth" in out and "suggested" in out
    assert main(["--database-url", url, "thresholds", "suggest", "--vendor", "ACME", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {row["sku"] for row in payload["suggestions"]} == {"P-1", "P-2"}
    assert payload["applied"] == 0 and payload["totals"]["current"]["orders"] >= 0
    assert main(["--database-url", url, "thresholds", "suggest", "--format", "csv", "--system"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 4 and rows[0]["suggested_min"] != ""
    assert main(["--database-url", url, "thresholds", "suggest", "--vendor", "BOLT", "--apply"]) == 0
    assert "applied to 1 agreement(s) as alice" in capsys.readouterr().out
    db = create_database(url)
    with db.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "agreement.update")).one()
        assert entry.actor == "alice" and "min_qty" in json.loads(entry.detail)
    db.dispose()
    # the second run finds nothing left to change
    assert main(["--database-url", url, "thresholds", "suggest", "--vendor", "BOLT", "--apply"]) == 0
    assert "applied to 0 agreement(s)" in capsys.readouterr().out


def test_cli_refuses_a_target_out_of_range_and_an_unknown_location(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--database-url", url, "thresholds", "suggest", "--target", "1.5"])
    assert exit_info.value.code == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["--database-url", url, "thresholds", "suggest", "--location", "MARS"]) == 2
    assert "unknown location 'MARS'" in capsys.readouterr().err


def test_history_helper_matches_the_pattern(db: Database) -> None:
    world = _world_with_history(db)
    start = utcnow().date() - timedelta(days=730)
    with db.sessions() as session:
        matrix = daily_consumption(session, [(world.skus["P-2"], world.locations["WH-1"])], start, 730)
    assert np.array_equal(matrix[0], patterns()["tenth"])
