"""A supplier's workspace export: one CSV file per kind, written as every table's export is (``exporting``),
headed even when empty, exact decimals, its own pairs only."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from tests.world import build_world, measure_in
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import Role
from vmi_desktop.scope import Actor
from vmi_desktop.supplier_export import export_workspace


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:  # the byte-order mark every export writes
        return list(csv.DictReader(handle))


def test_the_export_writes_every_kind_headed_with_exact_values_of_the_suppliers_own_pairs(
    db: Database, lead: Actor, tmp_path: Path
) -> None:
    with db.transaction() as s:
        world = build_world(s)
        measure_in(s, world.skus["P-1"], "L")
        ledger.post_receipt(s, lead, "P-1", "WH-1", Decimal("12.500"))
        ledger.post_consumption(s, lead, "P-1", "WH-1", 2)
    acme = Actor(name="acme-user", role=Role.SUPPLIER, vendor_id=world.vendors["ACME"], preview=True)
    written = export_workspace(db, acme, "ACME", tmp_path)
    assert [p.name for p in written] == [
        "ACME-orders.csv",
        "ACME-pairs.csv",
        "ACME-scorecard.csv",
        "ACME-pair-health.csv",
    ]
    orders_header = written[0].read_text(encoding="utf-8-sig").splitlines()
    assert orders_header == ["id,po_number,status,vendor,location,origin,lines,created_at,need_by,hold_reason"]
    pairs = _read(written[1])
    assert sorted((p["part_number"], p["location"]) for p in pairs) == [
        ("P-1", "VAN-7"),
        ("P-1", "WH-1"),
        ("P-2", "WH-1"),
    ]
    p1 = next(p for p in pairs if (p["part_number"], p["location"]) == ("P-1", "WH-1"))
    assert (p1["on_hand"], p1["min_qty"], p1["max_qty"], p1["mode"], p1["unit_price"]) == (
        "10.5",
        "10",
        "50",
        "auto_po",
        "3.1",
    )
    health = _read(written[3])
    assert {(h["part_number"], h["location_code"]) for h in health} == {
        ("P-1", "VAN-7"),
        ("P-1", "WH-1"),
        ("P-2", "WH-1"),
    }
    assert next(h for h in health if h["location_code"] == "WH-1" and h["part_number"] == "P-1")["consumed"] == "2"
    assert "P-3" not in " ".join(p.read_text(encoding="utf-8-sig") for p in written)  # BOLT's pair
