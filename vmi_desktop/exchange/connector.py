"""The folder connector: a vendor reached by X12, EDIFACT or CSV files through its exchange folder.

One run, called by the sync engine on the same worker thread and schedule as a REST vendor:

1. the reports are queued as for REST (``SyncEngine.schedule_reports``), into the same outbox;
2. each due outbox message becomes one interchange written atomically to ``outbound/``; its control
   number is reserved (``counters``: ``edi:<vendor id>``, never reused) and recorded before the file
   is written, so a retry after a crash rewrites the same interchange instead of numbering a new one;
3. each settled file in ``inbound/`` is read once: a file seen before (same content hash, or same
   interchange control number) or one that cannot be read goes to ``rejected/`` with a
   ``.reason.txt`` and an alert; a readable one is applied through ``sync.inbox.apply_page`` (the
   same dedup, scope and event rules as REST, each event rejected on its own), recorded, and moved
   to ``archive/``; the files after a bad one are still read;
4. a functional acknowledgement (997, CONTRL, CSV ack) is queued for every readable interchange
   that is not itself one, and sent in the same run; one received that refuses our interchange marks
   its outbox message failed (with an alert).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vmi_desktop import wire
from vmi_desktop.config import default_data_dir
from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import VmiError
from vmi_desktop.exchange import csvx, edifact, edifact_messages, x12, x12_sets
from vmi_desktop.exchange.errors import ExchangeError
from vmi_desktop.exchange.folder import MAX_FILE_BYTES, ExchangeFolder, resolve
from vmi_desktop.exchange.messages import (
    AckedMessage,
    CancelOrder,
    FunctionalAck,
    OrderLine,
    Outbound,
    ReceiptAdvice,
    Received,
    from_body,
    parse_moment,
    to_event,
)
from vmi_desktop.models import (
    AlertKind,
    AlertSeverity,
    ConnectionKind,
    ExchangeFile,
    InboxEvent,
    InboxStatus,
    Location,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    Vendor,
    utcnow,
)
from vmi_desktop.replenishment.orders import reserve_numbers
from vmi_desktop.sync import outbox, payloads
from vmi_desktop.sync.dispatch import raise_alert
from vmi_desktop.sync.inbox import apply_page

if TYPE_CHECKING:
    from vmi_desktop.sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)

FILE_KINDS = frozenset({ConnectionKind.X12, ConnectionKind.EDIFACT, ConnectionKind.CSV})
#: The outbox kind of an acknowledgement we owe for a received interchange.
FUNCTIONAL_ACK = "functional_ack"
_SUFFIX = {"x12": ".x12", "edifact": ".edi", "csv": ".csv"}
Step = Callable[[float, str], None]


@dataclass(frozen=True)
class Partnership:
    """How we and one vendor identify ourselves in files, and where its folder is."""

    vendor_id: int
    code: str
    standard: str
    folder: Path
    x12: x12.Partner
    edifact: edifact.Party
    partner_id: str

    @classmethod
    def of(cls, vendor: Vendor, data_dir: Path) -> Partnership:
        ours = vendor.edi_our_id or vendor.customer_id or "VMIDESKTOP"
        theirs = vendor.edi_partner_id or vendor.code
        partner = x12.Partner(
            vendor.edi_our_qualifier or "ZZ",
            ours,
            vendor.edi_partner_qualifier or "ZZ",
            theirs,
            vendor.edi_our_app or ours,
            vendor.edi_partner_app or theirs,
        )
        party = edifact.Party(ours, vendor.edi_our_qualifier or "ZZZ", theirs, vendor.edi_partner_qualifier or "ZZZ")
        return cls(
            vendor.id,
            vendor.code,
            ConnectionKind(vendor.connection_kind).value,
            resolve(vendor.exchange_folder, data_dir),
            partner,
            party,
            vendor.edi_partner_id,
        )


def encode(
    partnership: Partnership, message: Outbound | list[FunctionalAck], control: int, now: datetime
) -> tuple[str, bytes]:
    """The file name and bytes of one outbound interchange in the vendor's standard."""
    standard = partnership.standard
    if standard == "x12":
        data = x12_sets.encode(message, partnership.x12, control, now=now)
        kind = x12.read(data).groups[0].sets[0].code
    elif standard == "edifact":
        data = edifact_messages.encode(message, partnership.edifact, control, now=now)
        kind = edifact.read(data).messages[0].type
    else:
        single = message[0] if isinstance(message, list) else message
        data = csvx.encode(single, control)
        return csvx.file_name(single, control), data
    return f"{kind}-{control:09d}{_SUFFIX[standard]}", data


def decode(partnership: Partnership, data: bytes) -> Received:
    """A received file, read as the customer reads it."""
    if partnership.standard == "x12":
        return x12_sets.decode(data, side="customer")
    if partnership.standard == "edifact":
        return edifact_messages.decode(data, side="customer")
    return csvx.decode(data, side="customer")


def acknowledgements(partnership: Partnership, received: Received) -> list[FunctionalAck]:
    """What we answer for a received interchange (nothing for an interchange of acknowledgements)."""
    if all(isinstance(m.body, FunctionalAck) for m in received.messages):
        return []
    if partnership.standard == "csv":
        note = "; ".join(m.error for m in received.messages if m.error)
        return list(csvx.acknowledgement(received, note=note))
    return received.acknowledgements()


def _ack_body(acks: list[FunctionalAck]) -> dict[str, Any]:
    return {
        "message_id": payloads.new_message_id(),
        "acks": [
            {
                "reference": a.reference,
                "functional_id": a.functional_id,
                "status": a.status,
                "note": a.note,
                "items": [[i.kind, i.control_number, i.accepted] for i in a.items],
            }
            for a in acks
        ],
    }


def _acks_from(body: dict[str, Any]) -> list[FunctionalAck]:
    return [
        FunctionalAck(
            a["reference"],
            a["functional_id"],
            a["status"],
            tuple(AckedMessage(k, c, bool(ok)) for k, c, ok in a["items"]),
            a["note"],
        )
        for a in body["acks"]
    ]


def outbound_message(session: Session, row: OutboxMessage) -> Outbound | list[FunctionalAck]:
    """The message an outbox row carries; a cancel repeats the order's lines (850 and ORDERS need them).

    A receipt's lines gain their order line's unit and supplier part number (not in the REST body;
    X12 RCD needs the unit with the quantity).
    """
    body = wire.loads(row.payload)
    if row.kind == FUNCTIONAL_ACK:
        return _acks_from(body)
    if row.kind == outbox.RECEIPT:
        receipt = from_body(row.kind, body)
        if not isinstance(receipt, ReceiptAdvice):
            raise ExchangeError(f"outbox message {row.id} is not a receipt")
        return _with_order_lines(session, receipt)
    if row.kind == outbox.CANCEL:
        po_number = unquote(row.path.removeprefix("/v1/purchase-orders/").removesuffix("/cancel"))
        po = session.scalar(select(PurchaseOrder).where(PurchaseOrder.po_number == po_number))
        if po is None:
            raise ExchangeError(f"order {po_number} no longer exists")
        location = session.get_one(Location, po.location_id).code
        parts = dict(
            session.execute(select(Sku.id, Sku.part_number).where(Sku.id.in_([ln.sku_id for ln in po.lines]))).all()
        )
        lines = tuple(  # every line, cancelled ones too: the cancel names what was ordered
            OrderLine(
                ln.line_no,
                parts[ln.sku_id],
                ln.supplier_sku or None,
                ln.quantity_ordered,
                ln.uom,
                ln.unit_price,
                po.currency,
                ln.need_by,
            )
            for ln in po.lines
        )
        return CancelOrder(
            str(body["message_id"]),
            po_number,
            str(body.get("reason") or ""),
            location,
            parse_moment(po.created_at),
            lines,
        )
    return from_body(row.kind, body)


def _with_order_lines(session: Session, receipt: ReceiptAdvice) -> ReceiptAdvice:
    """The receipt with each line's unit and supplier part number from its order line (kept when gone)."""
    numbers = {ln.po_number for ln in receipt.lines}
    found = {
        (po_number, line_no): (uom, supplier_sku)
        for po_number, line_no, uom, supplier_sku in session.execute(
            select(
                PurchaseOrder.po_number,
                PurchaseOrderLine.line_no,
                PurchaseOrderLine.uom,
                PurchaseOrderLine.supplier_sku,
            )
            .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            .where(PurchaseOrder.po_number.in_(numbers))
        )
    }
    lines = []
    for ln in receipt.lines:
        uom, supplier_sku = found.get((ln.po_number, ln.line), (ln.uom, ln.supplier_sku))
        lines.append(replace(ln, uom=uom or "EA", supplier_sku=supplier_sku or None))
    return replace(receipt, lines=tuple(lines))


class FolderConnector:
    """One run of one vendor's file exchange (see the module docstring)."""

    def __init__(self, engine: SyncEngine, vendor_id: int) -> None:
        self.engine = engine
        self.db = engine.db
        self.vendor_id = vendor_id
        with self.db.transaction() as session:
            vendor = session.get(Vendor, vendor_id)
            if vendor is None:
                raise VmiError(f"unknown vendor id {vendor_id}")
            data_dir = getattr(engine, "data_dir", None) or default_data_dir()
            self.partnership = Partnership.of(vendor, data_dir)
        self.folder = ExchangeFolder(self.partnership.folder)

    # -- the run ------------------------------------------------------------------------------------

    def run(self, report: SyncReport, cancel: threading.Event, step: Step) -> None:
        code = self.partnership.code
        step(0.0, f"{code}: preparing reports")
        self.engine.schedule_reports(self.vendor_id)
        self._send(report, cancel, step, 0.0, 0.4)
        if not cancel.is_set():
            owed = self._receive(report, cancel, step)
            if owed and not cancel.is_set():
                self._send(report, cancel, step, 0.9, 1.0)

    def _send(self, report: SyncReport, cancel: threading.Event, step: Step, start: float, end: float) -> None:
        done = 0
        while not cancel.is_set():
            job = self._prepare_next()
            if job is None:
                return
            row_id, _kind, name, data, record_id = job
            if data is None:
                report.failed += 1
                continue
            try:
                self.folder.write(name, data)
            except OSError as exc:
                with self.db.transaction() as session:
                    outbox.mark_transient(
                        session,
                        row_id,
                        f"could not write {name}: {exc.strerror or exc}",
                        status=None,
                        body="",
                        retry_after=None,
                        backoff=self.engine.backoff,
                        now=self.engine.clock(),
                    )
                report.error = f"could not write to {self.folder.outbound}: {exc.strerror or exc}"
                return
            with self.db.transaction() as session:
                record = session.get_one(ExchangeFile, record_id)
                record.status, record.updated_at = "written", utcnow()
                outbox.mark_sent(session, row_id, 0, f"written outbound/{name}")
            report.sent += 1
            done += 1
            step(start + (end - start) * (1 - 1 / (done + 1)), f"wrote {name}")

    def _prepare_next(self) -> tuple[int, str, str, bytes | None, int] | None:
        """The next due message encoded, its control number reserved and recorded (committed first)."""
        with self.db.transaction() as session:
            msg = outbox.next_due(session, self.vendor_id, now=self.engine.clock())  # checked as it leaves
            if msg is None:
                return None
            record = session.scalar(
                select(ExchangeFile).where(ExchangeFile.outbox_message_id == msg.id, ExchangeFile.direction == "out")
            )
            control = (
                int(record.control_number)
                if record is not None
                else reserve_numbers(session, f"edi:{self.vendor_id}", 1)
            )
            try:
                name, data = encode(self.partnership, outbound_message(session, msg), control, self.engine.clock())
            except (ExchangeError, VmiError, KeyError, ValueError) as exc:
                reason = f"cannot be written as {self.partnership.standard}: {exc}"
                outbox.mark_failed(session, msg.id, reason, status=None, body="")
                log.warning("%s: message %s %s", self.partnership.code, msg.id, reason)
                return msg.id, msg.kind, "", None, 0
            digest = hashlib.sha256(data).hexdigest()
            if record is None:
                record = ExchangeFile(
                    vendor_id=self.vendor_id,
                    direction="out",
                    standard=self.partnership.standard,
                    file_name=name,
                    sha256=digest,
                    control_number=str(control),
                    outbox_message_id=msg.id,
                    status="writing",
                    reason="",
                )
                session.add(record)
            else:
                record.file_name, record.sha256, record.updated_at = name, digest, utcnow()
            session.flush()
            return msg.id, msg.kind, name, data, record.id

    # -- inbound ------------------------------------------------------------------------------------

    def _receive(self, report: SyncReport, cancel: threading.Event, step: Step) -> int:
        owed = 0
        files = self.folder.ready(getattr(self.engine, "file_settle_s", 2.0))
        for index, path in enumerate(files):
            if cancel.is_set():
                break
            step(0.4 + 0.5 * index / max(len(files), 1), f"reading {path.name}")
            owed += self._receive_one(path, report)
        return owed

    def _receive_one(self, path: Path, report: SyncReport) -> int:
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else None
        except OSError as exc:  # still being copied, or gone: the next run looks again
            log.info("%s: cannot read %s yet: %s", self.partnership.code, path.name, exc)
            return 0
        report.files_received += 1
        if data is None:
            self._reject(path, "", "", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read", report)
            return 0
        digest = hashlib.sha256(data).hexdigest()
        with self.db.transaction() as session:
            seen = session.scalar(
                select(ExchangeFile).where(
                    ExchangeFile.vendor_id == self.vendor_id,
                    ExchangeFile.direction == "in",
                    ExchangeFile.sha256 == digest,
                    ExchangeFile.status == "applied",
                )
            )
            seen_name, seen_at = (seen.file_name, seen.created_at) if seen is not None else ("", None)
        if seen is not None:
            if seen_name == path.name:  # applied, but the move to archive/ failed last time
                self.folder.archive_file(path)
                return 0
            self._reject(
                path,
                digest,
                "",
                f"duplicate: the same content as {seen_name}, applied {seen_at:%Y-%m-%d %H:%M} UTC; not applied again",
                report,
            )
            return 0
        try:
            received = decode(self.partnership, data)
        except ExchangeError as exc:
            self._reject(path, digest, "", str(exc), report)
            return 0
        expected = self.partnership.partner_id
        if expected and received.sender and received.sender != expected:
            self._reject(
                path,
                digest,
                received.control_number,
                f"sent by {received.sender!r}, not by {self.partnership.code}'s EDI id {expected!r}",
                report,
            )
            return 0
        with self.db.transaction() as session:
            twin = session.scalar(
                select(ExchangeFile.file_name).where(
                    ExchangeFile.vendor_id == self.vendor_id,
                    ExchangeFile.direction == "in",
                    ExchangeFile.control_number == received.control_number,
                    ExchangeFile.status == "applied",
                )
            )
        if twin is not None:
            self._reject(
                path,
                digest,
                received.control_number,
                f"duplicate interchange: control number {received.control_number} was applied from {twin}; "
                "not applied again",
                report,
            )
            return 0
        owed = self._apply(path, digest, received, report)
        self.folder.archive_file(path)
        return owed

    def _apply(self, path: Path, digest: str, received: Received, report: SyncReport) -> int:
        standard = self.partnership.standard
        now = self.engine.clock()
        with self.db.unit_of_work() as uow:
            events = []
            for m in received.messages:
                key = f"{standard}:{received.control_number}:{m.group}:{m.control_number}"[:100]
                if m.error:
                    self._record(uow, key, f"{standard}.{m.kind}", path.name, m.error)
                    report.events_rejected += 1
                elif isinstance(m.body, FunctionalAck):
                    self._apply_ack(uow, key, path.name, m.body)
                elif m.body is not None:
                    events.append(to_event(m.body, key, now))  # type: ignore[arg-type]
            if events:
                result = apply_page(uow, self.vendor_id, events, None)
                report.events_applied += result.applied
                report.events_rejected += result.rejected
            acks = acknowledgements(self.partnership, received)
            if acks:
                self._queue_ack(uow.session, acks)
            uow.session.add(
                ExchangeFile(
                    vendor_id=self.vendor_id,
                    direction="in",
                    standard=standard,
                    file_name=path.name,
                    sha256=digest,
                    control_number=received.control_number,
                    status="applied",
                    reason="; ".join(m.error for m in received.messages if m.error)[:1000],
                )
            )
            uow.changes.sync_vendors.add(self.vendor_id)
        return 1 if acks else 0

    def _queue_ack(self, session: Session, acks: list[FunctionalAck]) -> None:
        now = utcnow()
        body = _ack_body(acks)
        session.execute(
            insert(OutboxMessage).values(
                vendor_id=self.vendor_id,
                message_id=body["message_id"],
                kind=FUNCTIONAL_ACK,
                method="FILE",
                path="",
                payload=wire.dumps(body),
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                last_error="",
                response_body="",
            )
        )

    def _apply_ack(self, uow: UnitOfWork, key: str, file_name: str, ack: FunctionalAck) -> None:
        session = uow.session
        record = session.scalar(
            select(ExchangeFile).where(
                ExchangeFile.vendor_id == self.vendor_id,
                ExchangeFile.direction == "out",
                ExchangeFile.control_number == ack.reference.lstrip("0"),
            )
        )
        if record is None:
            self._record(
                uow, key, "functional_ack", file_name, f"acknowledges interchange {ack.reference}, which we never sent"
            )
            return
        if ack.status == "accepted":
            record.status = "acknowledged"
            self._record(uow, key, "functional_ack", file_name, "", applied=True)
            return
        refused = ", ".join(ack.rejected) or "the whole interchange"
        reason = f"{self.partnership.code} refused {record.file_name} ({refused}){': ' + ack.note if ack.note else ''}"
        record.status, record.reason, record.updated_at = "refused", reason[:1000], utcnow()
        if record.outbox_message_id is not None:
            msg = session.get(OutboxMessage, record.outbox_message_id)
            if msg is not None and msg.status != OutboxStatus.FAILED:
                outbox.mark_failed(session, msg.id, reason, status=None, body="")
                uow.changes.alerts = True
        self._record(uow, key, "functional_ack", file_name, "", applied=True)

    def _record(
        self, uow: UnitOfWork, key: str, kind: str, file_name: str, reason: str, *, applied: bool = False
    ) -> None:
        """An inbox row for what a file said that is not an event (an acknowledgement, an unreadable set)."""
        session = uow.session
        if session.scalar(
            select(InboxEvent.id).where(InboxEvent.vendor_id == self.vendor_id, InboxEvent.event_id == key)
        ):
            return
        session.add(
            InboxEvent(
                vendor_id=self.vendor_id,
                event_id=key,
                type=kind[:60],
                payload=wire.dumps({"file": file_name}),
                status=InboxStatus.APPLIED if applied else InboxStatus.REJECTED,
                reason=reason[:1000],
                received_at=utcnow(),
            )
        )
        if not applied:
            raise_alert(
                session,
                kind=AlertKind.EVENT_REJECTED,
                cause_key=f"event:{self.vendor_id}:{key}"[:200],
                message=f"{self.partnership.code} {file_name}: {reason}"[:1000],
                vendor_id=self.vendor_id,
            )
            uow.changes.alerts = True

    def _reject(self, path: Path, digest: str, control: str, reason: str, report: SyncReport) -> None:
        """Record and alert first (committed), then move the file to ``rejected/`` with its reason."""
        code = self.partnership.code
        with self.db.unit_of_work() as uow:
            uow.session.add(
                ExchangeFile(
                    vendor_id=self.vendor_id,
                    direction="in",
                    standard=self.partnership.standard,
                    file_name=path.name,
                    sha256=digest,
                    control_number=control,
                    status="rejected",
                    reason=reason[:1000],
                )
            )
            raise_alert(
                uow.session,
                kind=AlertKind.SYNC_FAILED,
                cause_key=f"file:{self.vendor_id}:{digest[:24] or path.name}"[:200],
                message=f"{code}: inbound file {path.name} was rejected: {reason}"[:1000],
                vendor_id=self.vendor_id,
                severity=AlertSeverity.WARNING,
            )
            uow.changes.alerts = True
            uow.changes.sync_vendors.add(self.vendor_id)
        self.folder.reject_file(path, f"{path.name} from {code} was not applied: {reason}")
        report.files_rejected += 1
        log.warning("%s: %s rejected: %s", code, path.name, reason)
