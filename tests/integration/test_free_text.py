"""Free text a person types is refused, naming the field, when the database would refuse it (NUL on
PostgreSQL) or a person could not see it (other control characters); nothing of the action is written.

On both engines: before ``free_text``, a NUL in a consumption's note failed PostgreSQL's transaction with
an error that named no field, and SQLite stored it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import row_count
from tests.world import World
from vmi_desktop import importer, ledger
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import thresholds as threshold_commands
from vmi_desktop.db import Database
from vmi_desktop.errors import ValidationError
from vmi_desktop.free_text import free_text
from vmi_desktop.importer.plan import ImportRejected
from vmi_desktop.models import PairSnooze, POStatus, PurchaseOrder, Role, StockMovement, ThresholdProposal, utcnow
from vmi_desktop.replenishment import snoozes
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor

NUL = "\x00"


def test_the_rule_keeps_tabs_and_line_breaks_and_says_where_the_invisible_character_is() -> None:
    assert free_text("  first line\n\tsecond\r\n ", 100, "the note") == "first line\n\tsecond"
    with pytest.raises(
        ValidationError, match=r"the note holds an invisible control character \(U\+0000\) at position 4"
    ):
        free_text("abc\x00def", 100, "the note")
    with pytest.raises(ValidationError, match=r"U\+001B"):
        free_text("\x1b[31mred", 100, "the note")
    with pytest.raises(ValidationError, match="the note is longer than 5 characters"):
        free_text("abcdef", 5, "the note")
    with pytest.raises(ValidationError, match="must not be empty"):
        free_text("   ", 5, "the note", required=True)


def test_a_nul_in_a_postings_note_or_reference_is_refused_by_name_and_nothing_is_posted(
    db: Database, world: World, lead: Actor
) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 10)
    before = row_count(db, StockMovement)
    for field, kwargs in (("note", {"note": f"bin 4{NUL}"}), ("reference", {"reference": f"JOB{NUL}7"})):
        refused = pytest.raises(ValidationError, match=rf"^{field} holds an invisible control character")
        with refused, db.transaction() as s:
            ledger.post_consumption(s, lead, "P-1", "WH-1", 2, **kwargs)  # type: ignore[arg-type]
    assert row_count(db, StockMovement) == before
    with db.sessions() as s:
        assert ledger.current_on_hand(s, world.skus["P-1"], world.locations["WH-1"]) == Decimal(10)


def test_order_notes_and_reasons_refuse_a_nul_and_the_order_keeps_its_state(
    db: Database, world: World, manager: Actor
) -> None:
    line = [NewLine(sku_id=world.skus["P-1"], quantity=Decimal(5))]
    target = {"vendor_id": world.vendors["ACME"], "location_id": world.locations["WH-1"], "lines": line}
    with pytest.raises(ValidationError, match=r"^the order note holds an invisible control character"):
        order_commands.create(db, manager, **target, note=f"rush{NUL}")  # type: ignore[arg-type]
    assert row_count(db, PurchaseOrder) == 0
    po = order_commands.create(db, manager, **target, send=True)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^the reason holds an invisible control character"):
        order_commands.cancel(db, manager, po.id, f"duplicate{NUL}")
    with pytest.raises(ValidationError, match=r"^the reason is longer than 500 characters"):
        order_commands.cancel(db, manager, po.id, "x" * 501)  # was cut to 500 without a word
    with db.sessions() as s:
        assert s.get_one(PurchaseOrder, po.id).status is POStatus.SENT


def test_a_suppliers_proposal_reason_and_a_snooze_reason_refuse_a_nul(
    db: Database, world: World, manager: Actor
) -> None:
    acme = Actor(name="acme-user", role=Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    proposal = threshold_commands.ProposedThresholds(
        world.agreements[("ACME", "P-1", "WH-1")], Decimal(2), Decimal(9), f"season{NUL}"
    )
    with pytest.raises(ValidationError, match=r"^the reason for P-1 at WH-1 holds an invisible control character"):
        threshold_commands.propose_thresholds(db, acme, [proposal])
    assert row_count(db, ThresholdProposal) == 0
    pair = (world.skus["P-1"], world.locations["WH-1"])
    until = utcnow().date() + timedelta(days=7)
    refused = pytest.raises(ValidationError, match=r"^the snooze reason holds an invisible control character")
    with refused, db.transaction() as s:
        snoozes.snooze(s, manager, [pair], until=until, reason=f"waiting{NUL}")
    assert row_count(db, PairSnooze) == 0


def test_a_history_import_names_the_row_with_a_control_character_and_imports_nothing(
    db: Database, world: World, manager: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "consumption.csv"
    path.write_text(
        "sku,location,occurred_at,quantity,reference\n"
        "P-1,WH-1,2026-01-05T08:00:00Z,3,JOB-1\n"
        "P-1,WH-1,2026-01-05T09:00:00Z,2,JOB\x072\n",
        encoding="utf-8",
    )
    plan = importer.dry_run(db, manager, "consumption", path)
    assert [r.action for r in plan.rows] == ["create", "rejected"]
    assert [(e.row, e.message) for e in plan.errors] == [
        (3, "reference holds an invisible control character (U+0007) at position 4: remove it")
    ]
    with pytest.raises(ImportRejected, match="row 3: reference holds an invisible control character"):
        importer.apply(db, manager, "consumption", path)
    assert row_count(db, StockMovement) == 0  # a file is imported whole or not at all
