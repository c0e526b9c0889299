"""End to end through an exchange folder: the app and the reference file partner, for X12, EDIFACT and CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import MANAGER
from tests.world import World, build_world, sent_order
from vmi_desktop import wire
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database
from vmi_desktop.exchange.messages import (
    OrderAck,
    ReceiptAdvice,
    ReceiptLine,
    ShipLine,
    ShipNotice,
    SupplierOrder,
    SupplierOrderLine,
)
from vmi_desktop.exchange.partner import FilePartner
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AuditEntry,
    ConnectionKind,
    ExchangeFile,
    InboxEvent,
    InboxStatus,
    OutboxMessage,
    OutboxStatus,
    POOrigin,
    POStatus,
    PurchaseOrder,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.replenishment import orders
from vmi_desktop.sync import outbox
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine, SyncReport
from vmi_desktop.sync.outbox import Backoff

STANDARDS = ["x12", "edifact", "csv"]
#: how each standard names a receipt file
RECEIPT_FILES = {"x12": "861-", "edifact": "RECADV-", "csv": "receipt-"}


@dataclass
class FileRig:
    db: Database
    world: World
    folder: Path
    partner: FilePartner
    engine: SyncEngine

    @property
    def acme(self) -> int:
        return self.world.vendors["ACME"]

    def sync(self) -> SyncReport:
        report = self.engine.sync_vendor(self.acme, VendorCredentials())
        assert report.error is None, report
        return report

    def files(self, sub: str) -> list[str]:
        return sorted(p.name for p in (self.folder / sub).iterdir() if not p.name.startswith("."))

    def alerts(self, kind: AlertKind) -> list[str]:
        with self.db.transaction() as s:
            return list(s.scalars(select(Alert.message).where(Alert.kind == kind)))

    def rejected_events(self) -> list[str]:
        with self.db.transaction() as s:
            return list(s.scalars(select(InboxEvent.reason).where(InboxEvent.status == InboxStatus.REJECTED)))


@pytest.fixture(params=STANDARDS)
def rig(request: pytest.FixtureRequest, sqlite_db: Database, tmp_path: Path) -> Iterator[FileRig]:
    yield _rig(sqlite_db, tmp_path, request.param)


def _rig(db: Database, tmp_path: Path, standard: str) -> FileRig:
    with db.transaction() as s:
        world = build_world(s)
        acme = s.get_one(Vendor, world.vendors["ACME"])
        acme.connection_kind = ConnectionKind(standard)
        acme.exchange_folder = "exchange/acme"  # relative: resolves against the data folder
        acme.edi_partner_id = "ACMEPARTS"
        acme.edi_our_id = "CUST42"
    engine = SyncEngine(
        db, backoff=Backoff(0.01, 0.1), data_dir=tmp_path, file_settle_s=0.0, full_report_every=timedelta(days=1)
    )
    folder = tmp_path / "exchange" / "acme"
    partner = FilePartner(folder, standard, vendor_id="ACMEPARTS", customer_id="CUST42")
    return FileRig(db, world, folder, partner, engine)


def test_reports_go_out_supplier_orders_and_acknowledgements_come_back(rig: FileRig) -> None:
    first = rig.sync()
    assert first.sent >= 1
    written = rig.files("outbound")
    assert written and all(not n.endswith(".tmp") for n in written)
    run = rig.partner.step()
    assert run.refused == [] and run.read == len(written)
    # Positions below min: the partner raised one order per pair (ACME's three pairs, never BOLT's P-3).
    assert {(k[0], k[1]) for k in rig.partner.state.positions} == {("WH-1", "P-1"), ("WH-1", "P-2"), ("VAN-7", "P-1")}
    second = rig.sync()
    assert (second.files_received, second.files_rejected) == (len(run.written), 0)
    assert second.events_applied == 3 and second.events_rejected == 0
    assert sorted(rig.files("archive")) == sorted(run.written) and rig.files("inbound") == []
    with rig.db.transaction() as s:
        origins = s.scalars(select(PurchaseOrder.origin)).all()
        assert origins.count(POOrigin.SUPPLIER) == 3
        statuses = set(s.scalars(select(ExchangeFile.status).where(ExchangeFile.direction == "out")))
        assert "acknowledged" in statuses  # the partner's 997 / CONTRL / ack matched our interchange
    # We acknowledged the partner's files in the same run; the partner reads those acks.
    assert rig.partner.step().read >= 1 and rig.partner.acks_received
    assert all(a.status == "accepted" for a in rig.partner.acks_received)
    # Nothing is applied twice.
    assert rig.sync().events_applied == 0


def test_a_customer_order_is_acknowledged_and_shipped_through_files(rig: FileRig) -> None:
    rig.partner.state.replenish = False
    po = order_commands.create(
        rig.db,
        MANAGER,
        vendor_id=rig.acme,
        location_id=rig.world.locations["WH-1"],
        lines=[orders.NewLine(sku_id=rig.world.skus["P-1"], quantity=Decimal(12))],
        send=True,
    )
    rig.sync()
    assert any(n.startswith(("850-", "ORDERS-", "purchase_order-")) for n in rig.files("outbound"))
    rig.partner.step()
    assert po.po_number in rig.partner.state.orders
    rig.sync()
    with rig.db.transaction() as s:
        got = s.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == po.po_number)).one()
        assert got.status == POStatus.SHIPPED
        assert got.lines[0].quantity_acknowledged == 12 and got.lines[0].quantity_shipped == 12
    # Cancelling another sent order writes a cancel (850 purpose 01 / ORDERS function 1 / cancel file).
    other = order_commands.create(
        rig.db,
        MANAGER,
        vendor_id=rig.acme,
        location_id=rig.world.locations["WH-1"],
        lines=[orders.NewLine(sku_id=rig.world.skus["P-2"], quantity=Decimal(3))],
        send=True,
    )
    order_commands.cancel(rig.db, MANAGER, other.id, "ordered by mistake")
    rig.sync()
    rig.partner.step()
    assert rig.partner.state.orders[other.po_number]["status"] == "cancelled"
    assert rig.partner.state.double_applied == 0


def test_bad_files_are_rejected_with_reasons_and_the_files_after_them_still_apply(rig: FileRig) -> None:
    rig.partner.state.replenish = False
    rig.sync()
    rig.partner.step()
    inbound = rig.folder / "inbound"
    good = SupplierOrder("SO-GOOD", "WH-1", (SupplierOrderLine(1, "P-2", None, Decimal(5), "EA", None, None),))
    name, data = rig.partner.encode(good)
    (inbound / "a-truncated.dat").write_bytes(data[: len(data) // 2])
    out_of_scope = SupplierOrder("SO-SCOPE", "WH-1", (SupplierOrderLine(1, "P-3", None, Decimal(5), "EA", None, None),))
    rig.partner.send(out_of_scope)
    rig.partner.send(OrderAck("PO-999999", "", "accepted", ()))
    (inbound / name).write_bytes(data)
    report = rig.sync()
    assert report.files_rejected == 1
    assert rig.files("rejected") == ["a-truncated.dat", "a-truncated.dat.reason.txt"]
    reason = (rig.folder / "rejected" / "a-truncated.dat.reason.txt").read_text()
    assert "truncated" in reason or "not" in reason
    assert any("a-truncated.dat was rejected" in m for m in rig.alerts(AlertKind.SYNC_FAILED))
    rejected = rig.rejected_events()
    assert any("P-3" in r for r in rejected) and any("unknown order" in r for r in rejected)
    with rig.db.transaction() as s:
        assert s.scalar(select(PurchaseOrder).where(PurchaseOrder.supplier_order_id == "SO-GOOD")) is not None
    # The same file again (same bytes) and the same interchange again (new bytes, same control number).
    (inbound / f"again-{name}").write_bytes(data)
    _, same_number = rig.partner.encode(
        SupplierOrder("SO-OTHER", "WH-1", (SupplierOrderLine(1, "P-2", None, Decimal(1), "EA", None, None),)),
        control=int(name.split("-")[-1].split(".")[0]),
    )
    (inbound / "same-number.dat").write_bytes(same_number)
    report = rig.sync()
    assert report.files_rejected == 2 and report.events_applied == 0
    reasons = {p.name: p.read_text() for p in (rig.folder / "rejected").glob("*.reason.txt")}
    assert "duplicate" in reasons[f"again-{name}.reason.txt"]
    assert "duplicate interchange" in reasons["same-number.dat.reason.txt"]
    with rig.db.transaction() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.supplier_order_id == "SO-OTHER")
            )
            == 0
        )


def test_a_partner_refusing_our_interchange_fails_the_message_with_an_alert(rig: FileRig) -> None:
    rig.partner.state.replenish = False
    rig.partner.acknowledge = False
    rig.sync()
    with rig.db.transaction() as s:
        sent = s.scalars(select(ExchangeFile).where(ExchangeFile.direction == "out")).first()
        assert sent is not None
        control, kind = sent.control_number, sent.file_name.split("-")[0]
    rig.partner.step()
    from vmi_desktop.exchange.messages import AckedMessage, FunctionalAck

    group_kind = {"846": "IB", "852": "PD"}.get(kind, kind)
    rig.partner.send(
        [
            FunctionalAck(
                control, group_kind, "rejected", (AckedMessage(kind, "0001" if kind.isdigit() else "1", False),), "bad"
            )
        ]
    )
    rig.sync()
    with rig.db.transaction() as s:
        record = s.scalars(
            select(ExchangeFile).where(ExchangeFile.control_number == control, ExchangeFile.direction == "out")
        ).one()
        assert record.status == "refused"
        msg = s.get_one(OutboxMessage, record.outbox_message_id)
        assert msg.status == OutboxStatus.FAILED and "refused" in msg.last_error
    assert any("refused" in m for m in rig.alerts(AlertKind.SYNC_FAILED))


@pytest.mark.parametrize("standard", ["x12", "edifact"])  # CSV files carry no sender id
def test_a_file_from_another_sender_is_rejected(sqlite_db: Database, tmp_path: Path, standard: str) -> None:
    rig = _rig(sqlite_db, tmp_path, standard)
    stranger = FilePartner(rig.folder, rig.partner.standard, vendor_id="STRANGER", customer_id="CUST42")
    stranger.send(ShipNotice("SH-1", "PO-1", "", "DHL", "T", None, (ShipLine(1, "P-1", Decimal(1)),)))
    assert rig.sync().files_rejected == 1
    assert "STRANGER" in next((rig.folder / "rejected").glob("*.reason.txt")).read_text()


def _sent_order(rig: FileRig, location: str, *lines: tuple[str, int]) -> PurchaseOrder:
    """An order of ACME's, sent, with the partner raising no orders of its own (a receipt's test needs only it)."""
    rig.partner.state.replenish = False
    return sent_order(rig.db, MANAGER, rig.world, "ACME", location, *lines)


@pytest.mark.parametrize("standard", STANDARDS)
def test_a_receipt_goes_out_once_as_the_vendor_s_file_with_its_lines_in_scope_and_is_acknowledged(
    db: Database, tmp_path: Path, standard: str
) -> None:
    rig = _rig(db, tmp_path, standard)
    w = rig.world
    po = _sent_order(rig, "WH-1", ("P-1", 12), ("P-2", 5))
    rig.sync()
    rig.partner.step()
    rig.sync()  # the partner's acknowledgement and ship notice
    with rig.db.transaction() as s:  # P-2 at WH-1 leaves ACME's agreements before the goods come in
        s.get_one(SupplyAgreement, w.agreements[("ACME", "P-2", "WH-1")]).active = False
    receipt = order_commands.receive(rig.db, MANAGER, po.id, {1: Decimal(12), 2: Decimal(5)})
    with rig.db.transaction() as s:
        assert [ln.quantity_received for ln in s.get_one(PurchaseOrder, po.id).lines] == [12, 5]

    first = rig.sync()
    assert first.error is None
    written = [n for n in rig.files("outbound") if n.startswith(RECEIPT_FILES[standard])]
    assert len(written) == 1, rig.files("outbound")
    data = (rig.folder / "outbound" / written[0]).read_bytes()
    assert b"P-2" not in data  # the line outside the agreements never leaves
    run = rig.partner.step()
    assert run.refused == []
    got = rig.partner.state.receipts[receipt.receipt_number]
    assert got["location_code"] == "WH-1"
    assert [(ln["po_number"], ln["line"], ln["sku"], ln["quantity"]) for ln in got["lines"]] == [
        (po.po_number, 1, "P-1", 12)
    ]
    assert any(n.startswith(("997-", "CONTRL-", "ack-")) for n in run.written)

    rig.sync()  # reads the partner's acknowledgement
    with rig.db.transaction() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "receipt")).one()
        assert row.status == OutboxStatus.SENT and row.vendor_id == rig.acme
        assert [ln["sku"] for ln in wire.loads(row.payload)["lines"]] == ["P-1"]
        record = s.scalars(select(ExchangeFile).where(ExchangeFile.outbox_message_id == row.id)).one()
        assert (record.file_name, record.status) == (written[0], "acknowledged")
    # Once: later runs write no second receipt file.
    rig.sync()
    rig.partner.step()
    processed = [n for n in rig.files("partner/processed") if n.startswith(RECEIPT_FILES[standard])]
    assert processed == written and not any(n.startswith(RECEIPT_FILES[standard]) for n in rig.files("outbound"))
    assert rig.partner.state.double_applied == 0


@pytest.mark.parametrize("standard", STANDARDS)
def test_the_partner_reads_a_receipt_file_as_written(sqlite_db: Database, tmp_path: Path, standard: str) -> None:
    """The file the connector writes decodes, on the supplier's side, to the receipt with its order lines' units."""
    rig = _rig(sqlite_db, tmp_path, standard)
    po = _sent_order(rig, "VAN-7", ("P-1", 7))
    receipt = order_commands.receive(rig.db, MANAGER, po.id, {1: Decimal("7")})
    rig.sync()
    name = next(n for n in rig.files("outbound") if n.startswith(RECEIPT_FILES[standard]))
    received = rig.partner.decode((rig.folder / "outbound" / name).read_bytes())
    with rig.db.transaction() as s:
        line = s.get_one(PurchaseOrder, po.id).lines[0]
        uom, supplier_sku = line.uom, line.supplier_sku or None
        message_id = wire.loads(s.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "receipt")).one())[
            "message_id"
        ]
    assert [m.body for m in received.messages] == [
        ReceiptAdvice(
            message_id,
            receipt.receipt_number,
            "VAN-7",
            receipt.received_at.replace(microsecond=0),
            (ReceiptLine(po.po_number, 1, "P-1", Decimal(7), uom, supplier_sku),),
        )
    ]


def _queued_full_report(rig: FileRig) -> None:
    """A full stock report queued now, with no other due (the run would queue its own full report)."""
    with rig.db.transaction() as s:
        outbox.sync_state(s, rig.acme).last_full_report_at = utcnow()
        assert outbox.enqueue_stock_report(s, rig.acme, "full") == 1


def test_a_queued_report_line_whose_agreement_ended_is_left_out_of_the_file(rig: FileRig) -> None:
    # As over REST: a report may wait for days (the folder unreachable); what it says is checked as it is written.
    _queued_full_report(rig)
    with rig.db.transaction() as s:
        s.get_one(SupplyAgreement, rig.world.agreements[("ACME", "P-2", "WH-1")]).active = False
    assert rig.sync().sent == 1
    assert rig.partner.step().refused == []
    assert set(rig.partner.state.positions) == {("WH-1", "P-1"), ("VAN-7", "P-1")}  # never P-2 at WH-1
    with rig.db.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.scope_at_send")).one()
        assert wire.loads(entry.detail)["left_out"] == ["P-2 at WH-1"]


def test_a_queued_report_left_with_no_line_in_scope_writes_no_file(rig: FileRig) -> None:
    _queued_full_report(rig)
    with rig.db.transaction() as s:
        for pair in (("ACME", "P-1", "WH-1"), ("ACME", "P-2", "WH-1"), ("ACME", "P-1", "VAN-7")):
            s.get_one(SupplyAgreement, rig.world.agreements[pair]).active = False
    assert rig.sync().sent == 0
    assert rig.files("outbound") == []
    with rig.db.transaction() as s:
        msg = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stock_report")).one()
        assert msg.status is OutboxStatus.DISCARDED and "scope" in msg.last_error
