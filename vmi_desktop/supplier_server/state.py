"""The reference supplier's state and rules (no HTTP here).

Everything a test may want to assert is counted: requests received per kind,
messages and lines applied, answers replayed for a repeated idempotency key,
faults fired. ``double_applied`` must stay zero: it counts a message id that
would have been applied a second time.

Given a ``state_path``, what the supplier knows (its event feed, orders, positions, the answers
given per idempotency key, its numbering) is kept in that small JSON file, rewritten atomically
after every change, so a restarted supplier still knows its feed and its cursors. Without one,
the state lives in memory, and event ids carry a per-instance prefix so that a supplier restarted
without its state never reuses an id the app has already seen.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from vmi_desktop import wire

PROTOCOL = "vmi-connect/1"
MAX_LIMIT = 500
FAULT_KINDS = ("delay", "status", "429", "drop_before", "drop_after", "malformed")


def now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class BadRequest(Exception):
    """A request the supplier refuses (status and reason in the answer)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Fault:
    """Misbehave ``count`` times on requests whose path starts with ``path``.

    kinds: ``delay`` (sleep ``seconds`` then answer normally), ``status`` (answer ``status``
    without applying), ``429`` (with ``Retry-After: retry_after``), ``drop_before`` (close the
    connection without applying), ``drop_after`` (apply, then close without answering),
    ``malformed`` (apply, then answer a body that is not JSON).
    """

    path: str
    kind: str
    count: int = 1
    seconds: float = 0.0
    status: int = 500
    retry_after: float = 1.0
    method: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")


def _num(value: Any, what: str, *, allow_negative: bool = False) -> Decimal:
    if type(value) is int:  # the common case first (a stock report has four per line): no text round trip
        if value < 0 and not allow_negative:
            raise BadRequest(422, f"{what} must not be negative")
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise BadRequest(422, f"{what} must be a number")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise BadRequest(422, f"{what} must be a number") from None
    if d < 0 and not allow_negative:
        raise BadRequest(422, f"{what} must not be negative")
    return d


def _num_json(d: Decimal) -> int | Decimal:
    return wire.number(d.quantize(Decimal("0.001")))


def _require(body: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if k not in body]
    if missing:
        raise BadRequest(422, f"missing field(s): {', '.join(missing)}")


def _lines(body: dict[str, Any], *keys: str) -> list[dict[str, Any]]:
    lines = body.get("lines")
    if not isinstance(lines, list):
        raise BadRequest(422, "lines must be a list")
    if len(lines) > 1000:
        raise BadRequest(422, "at most 1000 lines per message")
    required = frozenset(keys)
    for line in lines:
        if type(line) is not dict:  # a parsed body holds plain dicts; anything else is not an object
            raise BadRequest(422, "each line must be an object")
        if not required <= line.keys():  # a set test per line; the message lists what is missing
            _require(line, *keys)
    return lines


def _whole(value: Any) -> bool:
    """Whether ``value`` is a JSON integer that is not negative (what most quantities are: no Decimal needed)."""
    return type(value) is int and value >= 0


@dataclass
class SupplierState:
    """What the supplier knows and has done; thread-safe."""

    name: str = "Reference Supplier"
    auto_acknowledge: bool = True
    auto_ship: bool = True
    replenish: bool = True
    lead_time_days: int = 3
    lock: threading.RLock = field(default_factory=threading.RLock)
    received: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)
    lines_applied: Counter[str] = field(default_factory=Counter)
    replayed: Counter[str] = field(default_factory=Counter)
    faults_fired: Counter[str] = field(default_factory=Counter)
    double_applied: int = 0
    applied_ids: set[str] = field(default_factory=set)
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    key_locks: dict[str, threading.Lock] = field(default_factory=dict)
    positions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    usage: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    captured: list[dict[str, Any]] = field(default_factory=list)
    capture: bool = False
    state_path: Path | None = None
    instance: str = field(default_factory=lambda: secrets.token_hex(3))
    _pending_pairs: set[tuple[str, str]] = field(default_factory=set)
    _seq: Counter[str] = field(default_factory=Counter)

    # -- persistence ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, **options: Any) -> SupplierState:
        """The state kept in ``path`` (a fresh one if the file does not exist yet), saved there from now on."""
        state = cls(state_path=path, **options)
        if not path.exists():
            state.persist()
            return state
        data = wire.loads(path.read_bytes())
        state.instance = data["instance"]
        state.double_applied = int(data["double_applied"])
        state.events = list(data["events"])
        state.receipts = dict(data["receipts"])
        state.positions = {(loc, sku): line for loc, sku, line in data["positions"]}
        state.usage = {(loc, sku, day): consumed for loc, sku, day, consumed in data["usage"]}
        state.orders = {
            number: dict(order, lines={int(no): line for no, line in order["lines"]})
            for number, order in data["orders"].items()
        }
        state.applied_ids = set(data["applied_ids"])
        state.answers = {key: (int(status), body.encode()) for key, (status, body) in data["answers"].items()}
        state.applied.update(data["applied"])
        state.lines_applied.update(data["lines_applied"])
        state._pending_pairs = {(loc, sku) for loc, sku in data["pending_pairs"]}
        state._seq.update(data["seq"])
        return state

    def persist(self) -> None:
        """Write the state file (atomically: a crash leaves the old one or the new one), if there is one."""
        if self.state_path is None:
            return
        with self.lock:
            data = {
                "instance": self.instance,
                "double_applied": self.double_applied,
                "events": self.events,
                "receipts": self.receipts,
                "positions": [[loc, sku, line] for (loc, sku), line in self.positions.items()],
                "usage": [[loc, sku, day, consumed] for (loc, sku, day), consumed in self.usage.items()],
                "orders": {
                    number: dict(order, lines=[[no, line] for no, line in order["lines"].items()])
                    for number, order in self.orders.items()
                },
                "applied_ids": sorted(self.applied_ids),
                "answers": {key: [status, body.decode()] for key, (status, body) in self.answers.items()},
                "applied": dict(self.applied),
                "lines_applied": dict(self.lines_applied),
                "pending_pairs": sorted([loc, sku] for loc, sku in self._pending_pairs),
                "seq": dict(self._seq),
            }
            raw = wire.dumpb(data)
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_name(self.state_path.name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_path)

    # -- bookkeeping ---------------------------------------------------------------------------

    def next_id(self, name: str, prefix: str) -> str:
        with self.lock:
            self._seq[name] += 1
            return f"{prefix}{self._seq[name]:06d}"

    def add_event(self, event_type: str, data: Any, *, event_id: str | None = None) -> dict[str, Any]:
        """Append an event to the feed (also used by tests to send arbitrary, even bad, events)."""
        with self.lock:
            event = {
                "event_id": event_id or self.next_id("event", f"EV-{self.instance}-"),
                "type": event_type,
                "occurred_at": now_text(),
                "data": data,
            }
            self.events.append(event)
            return event

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, with its count used up by one."""
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and path.startswith(fault.path) and (not fault.method or fault.method == method):
                    fault.count -= 1
                    self.faults_fired[fault.kind] += 1
                    return fault
        return None

    def key_lock(self, key: str) -> threading.Lock:
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "received": dict(self.received),
                "applied": dict(self.applied),
                "lines": dict(self.lines_applied),
                "replayed": dict(self.replayed),
                "faults_fired": dict(self.faults_fired),
                "double_applied": self.double_applied,
                "events": len(self.events),
                "orders": len(self.orders),
                "positions": len(self.positions),
            }

    # -- the event feed ------------------------------------------------------------------------

    def page(self, after: str | None, limit: int) -> dict[str, Any]:
        """Events after the cursor (the index of the last event seen), at most ``limit``."""
        with self.lock:
            start = 0
            if after not in (None, ""):
                try:
                    start = int(str(after))
                except ValueError:
                    raise BadRequest(400, f"unknown cursor {after!r}") from None
                if start < 0 or start > len(self.events):
                    raise BadRequest(400, f"unknown cursor {after!r}")
            chunk = self.events[start : start + limit]
            end = start + len(chunk)
            return {
                "events": chunk,
                "next_cursor": str(end) if (end or after not in (None, "")) else None,
                "has_more": end < len(self.events),
            }

    # -- applying messages (called once per idempotency key) -------------------------------------

    def apply(self, kind: str, body: dict[str, Any], *, po_number: str = "") -> tuple[int, dict[str, Any]]:
        """Validate and apply one message; the status and JSON answer to give (and to replay)."""
        _require(body, "message_id", "customer_id")
        handler = getattr(self, f"_apply_{kind.replace('-', '_')}")
        with self.lock:
            accepted = handler(body, po_number) if kind == "cancel" else handler(body)
            if body["message_id"] in self.applied_ids:
                self.double_applied += 1
            self.applied_ids.add(body["message_id"])
            self.applied[kind] += 1
            self.lines_applied[kind] += accepted
        return 202, {"accepted": accepted}

    def _apply_stock_reports(self, body: dict[str, Any]) -> int:
        _require(body, "generated_at", "mode", "lines")
        if body["mode"] not in ("full", "delta"):
            raise BadRequest(422, "mode must be full or delta")
        lines = _lines(body, "location_code", "sku", "on_hand", "on_order", "min", "max")
        if not self.replenish:  # only checked and kept: the numbers need not become Decimals
            pairs = []
            for line in lines:
                on_hand, on_order, mn, mx = line["on_hand"], line["on_order"], line["min"], line["max"]
                if not (  # integers, the last three not negative (_whole, inline: a million of them)
                    type(on_hand) is int
                    and type(on_order) is int
                    and type(mn) is int
                    and type(mx) is int
                    and on_order >= 0
                    and mn >= 0
                    and mx >= 0
                ):  # the checks of the general path, in their order, for their message
                    _num(on_hand, "on_hand", allow_negative=True)
                    _num(on_order, "on_order")
                    _num(mn, "min"), _num(mx, "max")
                pairs.append((str(line["location_code"]), str(line["sku"])))
            self.positions.update(zip(pairs, lines, strict=True))
            return len(pairs)
        parsed = []
        for line in lines:
            pair = (str(line["location_code"]), str(line["sku"]))
            on_hand = _num(line["on_hand"], "on_hand", allow_negative=True)
            on_order = _num(line["on_order"], "on_order")
            mn, mx = _num(line["min"], "min"), _num(line["max"], "max")
            parsed.append((pair, line, on_hand + on_order, mn, mx))
        for pair, line, position, mn, mx in parsed:
            self.positions[pair] = line
            self._replenish(pair, line, position, mn, mx)
        return len(parsed)

    def _replenish(
        self, pair: tuple[str, str], line: dict[str, Any], position: Decimal, mn: Decimal, mx: Decimal
    ) -> None:
        """Raise an order up to max when the position is below min (once until it recovers)."""
        if position >= mn:
            self._pending_pairs.discard(pair)
            return
        if pair in self._pending_pairs:
            return
        quantity = mx - position
        if quantity <= 0:
            return
        self._pending_pairs.add(pair)
        location, sku = pair
        self.add_event(
            "order.created",
            {
                "supplier_order_id": self.next_id("supplier_order", "SO-"),
                "location_code": location,
                "lines": [
                    {
                        "line": 1,
                        "sku": sku,
                        "supplier_sku": line.get("supplier_sku"),
                        "quantity": _num_json(quantity),
                        "uom": line.get("uom") or "EA",
                        "unit_price": None,
                        "expected_delivery": (date.today() + timedelta(days=self.lead_time_days)).isoformat(),
                    }
                ],
            },
        )

    def _apply_usage(self, body: dict[str, Any]) -> int:
        lines = _lines(body, "location_code", "sku", "date", "consumed")
        for line in lines:
            if not _whole(line["consumed"]):
                _num(line["consumed"], "consumed")
        for line in lines:
            self.usage[(line["location_code"], line["sku"], line["date"])] = line["consumed"]
        return len(lines)

    def _apply_purchase_orders(self, body: dict[str, Any]) -> int:
        _require(body, "po_number", "location_code", "created_at", "lines")
        lines = _lines(body, "line", "sku", "quantity")
        for line in lines:
            if _num(line["quantity"], "quantity") <= 0:
                raise BadRequest(422, "quantity must be above zero")
        po_number = str(body["po_number"])
        order = self.orders.setdefault(po_number, {"po_number": po_number, "status": "open", "lines": {}})
        for line in lines:
            order["lines"][line["line"]] = line
        if self.auto_acknowledge:
            eta = (date.today() + timedelta(days=self.lead_time_days)).isoformat()
            self.add_event(
                "order.acknowledged",
                {
                    "po_number": po_number,
                    "status": "accepted",
                    "reason": "",
                    "lines": [
                        {"line": ln["line"], "quantity": ln["quantity"], "expected_delivery": eta} for ln in lines
                    ],
                },
            )
            if self.auto_ship:
                self.add_event(
                    "shipment.dispatched",
                    {
                        "shipment_id": self.next_id("shipment", "SH-"),
                        "po_number": po_number,
                        "carrier": "REF",
                        "tracking": self.next_id("tracking", "TRK"),
                        "eta": eta,
                        "lines": [{"line": ln["line"], "sku": ln["sku"], "quantity": ln["quantity"]} for ln in lines],
                    },
                )
        return len(lines)

    def _apply_cancel(self, body: dict[str, Any], po_number: str) -> int:
        order = self.orders.get(po_number)
        if order is None:
            raise BadRequest(404, f"unknown purchase order {po_number}")
        order["status"] = "cancelled"
        order["cancel_reason"] = body.get("reason", "")
        return 1

    def _apply_receipts(self, body: dict[str, Any]) -> int:
        _require(body, "receipt_id", "location_code", "received_at", "lines")
        lines = _lines(body, "po_number", "line", "sku", "quantity")
        for line in lines:
            _num(line["quantity"], "quantity")
        self.receipts[str(body["receipt_id"])] = body
        return len(lines)

    def record_capture(self, entry: dict[str, Any]) -> None:
        if self.capture:
            with self.lock:
                self.captured.append(entry)

    def dump(self) -> str:
        return json.dumps(self.stats(), indent=2)
