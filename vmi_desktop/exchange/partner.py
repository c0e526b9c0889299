"""The reference file partner: plays a supplier's side of an exchange folder (demos and tests).

It picks up what the app wrote to ``outbound/`` (moving each file to ``partner/processed``),
applies it with the same rules as the reference REST supplier (``supplier_server.state``: a
position below min raises a replenishment order, an order is acknowledged and shipped, a receipt
is recorded), answers every interchange with a functional acknowledgement (997, CONTRL, CSV ack)
and writes its events (850 from the vendor, 855, 856 and their EDIFACT and CSV equivalents)
atomically to ``inbound/``.

    vmi-desktop exchange-partner FOLDER --standard x12 [--once]
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vmi_desktop.exchange import csvx, edifact, edifact_messages, x12, x12_sets
from vmi_desktop.exchange.errors import ExchangeError
from vmi_desktop.exchange.folder import write_atomically
from vmi_desktop.exchange.messages import (
    AckedMessage,
    FunctionalAck,
    Inbound,
    Received,
    StockReport,
    UsageReport,
    ack_for,
    from_event,
    to_body,
)
from vmi_desktop.supplier_server.state import BadRequest, SupplierState

log = logging.getLogger(__name__)
_SUFFIX = {"x12": ".x12", "edifact": ".edi", "csv": ".csv"}


@dataclass
class PartnerRun:
    """What one step did."""

    read: int = 0
    refused: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


@dataclass
class FilePartner:
    """A supplier at the other end of one exchange folder (the customer's ``<exchange folder>``)."""

    root: Path
    standard: str
    vendor_id: str = "PARTNER"
    customer_id: str = "VMIDESKTOP"
    state: SupplierState = field(default_factory=SupplierState)
    next_control: int = 900_000_001
    acknowledge: bool = True
    cursor: int = 0
    acks_received: list[FunctionalAck] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.standard not in _SUFFIX:
            raise ValueError(f"standard must be x12, edifact or csv, not {self.standard!r}")
        for sub in ("outbound", "inbound", "partner/processed"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def x12_partner(self) -> x12.Partner:
        return x12.Partner("ZZ", self.vendor_id, "ZZ", self.customer_id, self.vendor_id, self.customer_id)

    @property
    def edifact_party(self) -> edifact.Party:
        return edifact.Party(self.vendor_id, "ZZZ", self.customer_id, "ZZZ")

    def encode(self, message: Inbound | list[FunctionalAck], control: int | None = None) -> tuple[str, bytes]:
        """A file the supplier sends (name, bytes), with the next control number unless given."""
        if control is None:
            control, self.next_control = self.next_control, self.next_control + 1
        now = datetime.now(UTC)
        if self.standard == "x12":
            data = x12_sets.encode(message, self.x12_partner, control, now=now)
            kind = x12.read(data).groups[0].sets[0].code
        elif self.standard == "edifact":
            data = edifact_messages.encode(message, self.edifact_party, control, now=now)
            kind = edifact.read(data).messages[0].type
        else:
            single = message[0] if isinstance(message, list) else message
            return csvx.file_name(single, control), csvx.encode(single, control)
        return f"{kind}-{control:09d}{_SUFFIX[self.standard]}", data

    def send(self, message: Inbound | list[FunctionalAck], control: int | None = None) -> str:
        """Write one file into ``inbound/`` atomically; returns its name."""
        name, data = self.encode(message, control)
        write_atomically(self.root / "inbound" / name, data)
        return name

    def decode(self, data: bytes) -> Received:
        """A file of ours read as the supplier reads it (its standard, the supplier's side)."""
        if self.standard == "x12":
            return x12_sets.decode(data, side="supplier")
        if self.standard == "edifact":
            return edifact_messages.decode(data, side="supplier")
        return csvx.decode(data, side="supplier")

    def _pending(self) -> Iterator[Path]:
        entries = sorted(
            (e.stat().st_mtime, e.name, Path(e.path))
            for e in os.scandir(self.root / "outbound")
            if e.is_file() and not e.name.startswith(".")
        )
        for _, _, path in entries:
            yield path

    def step(self) -> PartnerRun:
        """Pick up every file the customer wrote, apply it, acknowledge it, send the new events."""
        run = PartnerRun()
        for path in self._pending():
            data = path.read_bytes()
            os.replace(path, self.root / "partner" / "processed" / path.name)
            run.read += 1
            try:
                received = self.decode(data)
            except ExchangeError as exc:
                run.refused.append(f"{path.name}: {exc}")
                continue
            items = []
            for m in received.messages:
                taken = not m.error
                if isinstance(m.body, FunctionalAck):
                    self.acks_received.append(m.body)
                elif m.body is not None:
                    taken = self._apply(m.body, run, path.name)
                items.append(AckedMessage(m.kind, m.control_number, taken))
            only_acks = all(isinstance(m.body, FunctionalAck) for m in received.messages)
            if self.acknowledge and not only_acks:
                if self.standard == "csv":
                    ok = all(i.accepted for i in items)
                    note = "" if ok else "; ".join(run.refused[-1:])
                    acks = [
                        FunctionalAck(
                            received.control_number, items[0].kind, "accepted" if ok else "rejected", (), note
                        )
                    ]
                else:
                    acks = [
                        ack_for(
                            number,
                            fid,
                            tuple(i for i, m in zip(items, received.messages, strict=True) if m.group == number),
                        )
                        for fid, number in received.groups
                    ]
                run.written.append(self.send(acks))
        for event in self.state.events[self.cursor :]:
            message = from_event(event)
            if message is not None:
                run.written.append(self.send(message))
        self.cursor = len(self.state.events)
        return run

    def _apply(self, body: object, run: PartnerRun, file_name: str) -> bool:
        kind, rest = to_body(body, self.customer_id)  # type: ignore[arg-type]
        po_number = getattr(body, "po_number", "") if kind == "cancel" else ""
        if isinstance(body, StockReport | UsageReport) and not body.lines:
            return True
        try:
            self.state.apply(kind, rest, po_number=po_number)
        except BadRequest as exc:
            run.refused.append(f"{file_name}: {exc.reason}")
            return False
        return True


def main(folder: Path, standard: str, *, once: bool, interval: float, vendor_id: str, customer_id: str) -> int:
    """Run the partner on ``folder`` (the CLI's ``exchange-partner``)."""
    import time

    partner = FilePartner(folder, standard, vendor_id=vendor_id, customer_id=customer_id)
    while True:
        run = partner.step()
        if run.read or run.written:
            print(
                f"read {run.read}, refused {len(run.refused)}, wrote {', '.join(run.written) or 'nothing'}", flush=True
            )
        for reason in run.refused:
            print(f"refused: {reason}", flush=True)
        if once:
            return 0
        time.sleep(interval)
