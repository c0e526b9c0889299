"""What a unit of work has read about the orders it changes, so that each fact is read once.

A supplier's page of events names a few hundred orders, SKUs and locations; applied one by one,
each event would look them up again (about ten statements an event). ``WorkingSet.prime_*`` reads
them for the whole page with one statement per kind, into the session's identity map and a few
dictionaries; the order services (``orders``, ``supplier_orders``) ask the working set first and
fall back to the database for what was not primed, so a single action in the window and a page of
events take the same path and see the same facts.

What the cached facts derive from is kept live, not copied: the inventory position of a pair is
summed from the very line objects the actions change (a line acknowledged, an order cancelled or
raised earlier in the page counts at once), which is what the SQL over the same rows would say.

The working set lives in ``session.info`` for one unit of work (a session per transaction). After
a savepoint rollback its objects may be stale: ``WorkingSet.forget`` drops it (the inbox does).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, or_, select, text
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.attributes import set_committed_value

from vmi_desktop import order_status
from vmi_desktop.models import (
    Alert,
    Location,
    POLineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    Sku,
    StockLevel,
    SupplyAgreement,
    Vendor,
    alert_is_open,
)
from vmi_desktop.replenishment._sql import lock_reorder

_KEY = "vmi_working_set"
#: What ordering reads of a primed agreement (``orders.create_order``, the supplier order's max check): half
#: its columns, so half the row processing; anything else is loaded on first access, as a deferred column is.
_ORDERING_COLUMNS = (
    SupplyAgreement.id,
    SupplyAgreement.vendor_id,
    SupplyAgreement.sku_id,
    SupplyAgreement.location_id,
    SupplyAgreement.active,
    SupplyAgreement.supplier_sku,
    SupplyAgreement.max_qty,
    SupplyAgreement.pack_size,
    SupplyAgreement.lead_time_days,
    SupplyAgreement.unit_price,
    SupplyAgreement.currency,
    SupplyAgreement.version,
)
_BATCH = 500

Pair = tuple[int, int]


def pairs_filter(
    sku_column: Any, location_column: Any, pairs: Iterable[Pair]
) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """Rows of exactly these (sku id, location id) pairs, and the values to execute it with.

    One ``location = ? AND sku IN (...)`` per location, which both engines answer with one index probe
    per pair (an OR of index searches). The SKUs x the locations would probe every combination instead
    (a page's 100 pairs at 50 locations: 5,000 probes). The terms are padded to a power of two with
    ones no row matches and their values are bound by name, so a process builds and compiles a
    handful of shapes, not one per page (compiling one of 100 terms costs more than running it).
    """
    size, params = _pair_params(pairs)
    return _pairs_clause(sku_column, location_column, size), params


def _pair_params(pairs: Iterable[Pair]) -> tuple[int, dict[str, Any]]:
    """The number of terms of ``pairs_filter``'s clause for these pairs, and the values to execute it with."""
    by_location: dict[int, set[int]] = {}
    for sku_id, location_id in pairs:
        by_location.setdefault(location_id, set()).add(sku_id)
    terms = [(location_id, sorted(sku_ids)) for location_id, sku_ids in sorted(by_location.items())]
    size = 1 << max(0, len(terms) - 1).bit_length()
    terms += [(-1, [-1])] * (size - len(terms))
    params: dict[str, Any] = {}
    for i, (location_id, sku_ids) in enumerate(terms):
        params[f"pair_location_{i}"] = location_id
        params[f"pair_skus_{i}"] = sku_ids
    return size, params


@functools.lru_cache(maxsize=64)
def _pairs_clause(sku_column: Any, location_column: Any, size: int) -> ColumnElement[bool]:
    return or_(
        false(),
        *(
            and_(
                location_column == bindparam(f"pair_location_{i}"),
                sku_column.in_(bindparam(f"pair_skus_{i}", expanding=True)),
            )
            for i in range(size)
        ),
    )


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values), key=repr)
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]


# The statements a page primes with, built once per process: each names its values by a bound parameter, so
# executing one again skips building it, coercing every value of its IN list and deriving its cache key
# (for a page, more than SQLite takes to answer it).


@functools.cache
def _orders_by(column: Any, postgres: bool) -> Any:
    stmt = (
        select(PurchaseOrder)
        .where(PurchaseOrder.vendor_id == bindparam("vendor_id"), column.in_(bindparam("values", expanding=True)))
        .order_by(PurchaseOrder.id)
    )
    return stmt.with_for_update(of=PurchaseOrder) if postgres else stmt


@functools.cache
def _lines_of_orders() -> Any:
    """The lines of the given orders in the order of their ``lines`` collection (what a selectin load reads,
    without its post-load machinery)."""
    return (
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id.in_(bindparam("values", expanding=True)))
        .order_by(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.line_no)
    )


@functools.cache
def _by_values(model: Any, column: Any) -> Any:
    return select(model).where(column.in_(bindparam("values", expanding=True)))


@functools.cache
def _agreements_for(size: int) -> Any:
    exact = _pairs_clause(SupplyAgreement.sku_id, SupplyAgreement.location_id, size)
    return (
        select(SupplyAgreement)
        .options(load_only(*_ORDERING_COLUMNS))
        .where(SupplyAgreement.vendor_id == bindparam("vendor_id"), SupplyAgreement.active.is_(True), exact)
    )


@functools.cache
def _on_hand_for(size: int) -> Any:
    exact = _pairs_clause(StockLevel.sku_id, StockLevel.location_id, size)
    return select(StockLevel.sku_id, StockLevel.location_id, StockLevel.on_hand).where(exact)


@functools.cache
def _open_line_ids() -> Any:
    return (
        select(PurchaseOrderLine.id, PurchaseOrderLine.sku_id, PurchaseOrder.location_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.sku_id.in_(bindparam("sku_ids", expanding=True)),
            PurchaseOrder.location_id.in_(bindparam("location_ids", expanding=True)),
            PurchaseOrderLine.status == POLineStatus.OPEN,
            PurchaseOrder.status.in_([s.value for s in order_status.OPEN]),
        )
    )


@functools.cache
def _lines_with_orders() -> Any:
    return (
        select(PurchaseOrderLine, PurchaseOrder)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrderLine.id.in_(bindparam("values", expanding=True)))
    )


@functools.cache
def _shipments_by_id() -> Any:
    return select(Shipment).where(
        Shipment.vendor_id == bindparam("vendor_id"), Shipment.external_id.in_(bindparam("values", expanding=True))
    )


@functools.cache
def _open_causes() -> Any:
    return select(Alert.cause_key).where(Alert.cause_key.in_(bindparam("values", expanding=True)), alert_is_open())


class WorkingSet:
    """Orders, pairs, shipments and open alert causes a unit of work has read (see the module docstring)."""

    def __init__(self) -> None:
        self.by_number: dict[tuple[int, str], PurchaseOrder | None] = {}
        self.by_supplier_id: dict[tuple[int, str], PurchaseOrder | None] = {}
        #: Orders by id, pending ones too (a pending object is not in the identity map until flushed).
        self.by_id: dict[int, PurchaseOrder] = {}
        self.locked_orders: set[int] = set()
        self.locations: dict[str, Location | None] = {}
        self.skus: dict[str, Sku | None] = {}
        self.agreements: dict[tuple[int, int, int], SupplyAgreement | None] = {}
        self.on_hand: dict[Pair, Decimal] = {}
        self.pair_lines: dict[Pair, list[tuple[PurchaseOrderLine, PurchaseOrder]]] = {}
        self.shipments: dict[tuple[int, str], Shipment | None] = {}
        self.vendors: dict[int, Vendor | None] = {}
        self.open_causes: dict[str, bool] = {}
        self.reorder_locked: set[Pair] = set()
        self.reorder_locked_all = False
        #: Causes no other transaction can know of (those of orders created in this one).
        self.private_causes: set[str] = set()
        #: With ``defer_alerts``, alerts of private causes are kept here (rows by cause, resolved in place)
        #: until ``alerts.write_deferred`` writes them all at once; the caller that sets it must call that.
        self.defer_alerts = False
        self.deferred_alerts: dict[str, dict[str, Any]] = {}
        #: With ``defer_alerts``, the resolutions of alerts known open (the values to set, by cause), written by
        #: ``alerts.write_deferred`` after the flush: the order they link to may not be written yet, and an
        #: UPDATE through the session would flush everything pending, one object at a time, to write it.
        self.deferred_resolves: dict[str, dict[str, Any]] = {}
        self._next_ids: dict[str, int] = {}
        self._ids: dict[str, list[int]] = {}
        #: How many order ids to take from a PostgreSQL sequence at once (a page sets it to its orders).
        self.order_id_reserve = 1
        self._by_key: dict[tuple[type[Any], int], Any] = {}
        self._dialect: str | None = None

    @classmethod
    def of(cls, session: Session) -> WorkingSet:
        """The session's working set (an empty one the first time: everything falls back to the database)."""
        ws = session.info.get(_KEY)
        if ws is None:
            ws = session.info[_KEY] = cls()
        return ws

    @classmethod
    def forget(cls, session: Session) -> None:
        """Drop what was read (after a savepoint rolled back: new objects of it are gone, others stale)."""
        session.info.pop(_KEY, None)

    def get(self, session: Session, model: type[Any], ident: int) -> Any | None:
        """``session.get(model, ident)``, asked once per unit of work (the SKUs, locations and vendor that
        every event of a page names: the identity map's own lookup costs more than a dictionary's)."""
        key = (model, ident)
        found = self._by_key.get(key)
        if found is None:
            found = session.get(model, ident)
            if found is not None:
                self._by_key[key] = found
        return found

    # -- orders ----------------------------------------------------------------------------------

    def prime_orders(
        self, session: Session, vendor_id: int, po_numbers: Iterable[str], supplier_order_ids: Iterable[str]
    ) -> None:
        """Read the vendor's orders named by number or supplier order id, with their lines and SKUs.

        On PostgreSQL they are locked (``FOR UPDATE``, in id order) as ``get_order(for_update=True)``
        would lock each.
        """
        numbers = {n for n in po_numbers if (vendor_id, n) not in self.by_number}
        supplier_ids = {s for s in supplier_order_ids if (vendor_id, s) not in self.by_supplier_id}
        if not numbers and not supplier_ids:
            return
        postgres = session.get_bind().dialect.name == "postgresql"
        found: list[PurchaseOrder] = []
        # One statement per kind of reference (each uses its own unique index), in chunks.
        for column, values in ((PurchaseOrder.po_number, numbers), (PurchaseOrder.supplier_order_id, supplier_ids)):
            for chunk in _chunks(values):
                found.extend(session.scalars(_orders_by(column, postgres), {"vendor_id": vendor_id, "values": chunk}))
        for n in numbers:
            self.by_number[(vendor_id, n)] = None
        for s in supplier_ids:
            self.by_supplier_id[(vendor_id, s)] = None
        for po in found:
            self.add_order(po)
            if postgres:
                self.locked_orders.add(po.id)
        self._load_lines(session, found)
        sku_ids = {line.sku_id for po in found for line in po.lines}
        for chunk in _chunks(sku_ids):
            for sku in session.scalars(_by_values(Sku, Sku.id), {"values": chunk}):
                self.skus[sku.part_number] = sku

    @staticmethod
    def _load_lines(session: Session, found: list[PurchaseOrder]) -> None:
        """The ``lines`` of the orders that do not have them loaded yet, with one statement per chunk."""
        unloaded: dict[int, list[PurchaseOrderLine]] = {po.id: [] for po in found if "lines" not in po.__dict__}
        for chunk in _chunks(unloaded):
            for line in session.scalars(_lines_of_orders(), {"values": chunk}):
                unloaded[line.purchase_order_id].append(line)
        for po in found:
            lines = unloaded.get(po.id)
            if lines is not None:
                set_committed_value(po, "lines", lines)

    def add_order(self, po: PurchaseOrder, *, new: bool = False) -> None:
        """An order read or created in this unit of work: found by number and supplier order id from now on.

        A ``new`` one has no alert anywhere yet: its causes are known closed, and only this
        transaction can open them.
        """
        self.by_number[(po.vendor_id, po.po_number)] = po
        if po.id is not None:
            self.by_id[po.id] = po
        if po.supplier_order_id:
            self.by_supplier_id[(po.vendor_id, po.supplier_order_id)] = po
        if new:
            for cause in (f"overdue:{po.id}", f"held:{po.id}"):
                self.open_causes[cause] = False
                self.private_causes.add(cause)

    def new_order_id(self, session: Session) -> int | None:
        """An id for an order about to be created, without a flush (see ``new_id``)."""
        return self.new_id(session, PurchaseOrder)

    def new_id(self, session: Session, model: type[Any]) -> int | None:
        """An id for a row of ``model`` about to be created, without a flush; None when the database must
        assign it (then the flush fetches it, one row at a time on SQLite).

        PostgreSQL: taken from the table's sequence (``order_id_reserve`` at a time). SQLite: the next after
        the highest, but only once this transaction is the single writer (the reorder lock was taken),
        so that nobody else can insert meanwhile.
        """
        table = model.__table__.name
        dialect = self._dialect
        if dialect is None:
            dialect = self._dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            reserved = self._ids.setdefault(table, [])
            if not reserved:
                reserved.extend(
                    session.scalars(
                        text(
                            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
                        ).bindparams(n=max(1, self.order_id_reserve))
                    )
                )
            return int(reserved.pop(0))
        if dialect == "sqlite" and self.reorder_locked_all:
            if table not in self._next_ids:
                with session.no_autoflush:
                    highest = session.scalar(select(func.max(model.id))) or 0
                pending = [o.id for o in session.new if isinstance(o, model) and o.id is not None]
                self._next_ids[table] = max([highest, *pending])
            self._next_ids[table] += 1
            return self._next_ids[table]
        return None

    def order_by_number(self, session: Session, vendor_id: int, po_number: str) -> PurchaseOrder | None:
        key = (vendor_id, po_number)
        if key not in self.by_number:
            self.by_number[key] = session.scalar(
                select(PurchaseOrder).where(PurchaseOrder.vendor_id == vendor_id, PurchaseOrder.po_number == po_number)
            )
        return self.by_number[key]

    def order_by_supplier_id(self, session: Session, vendor_id: int, supplier_order_id: str) -> PurchaseOrder | None:
        key = (vendor_id, supplier_order_id)
        if key not in self.by_supplier_id:
            self.by_supplier_id[key] = session.scalar(
                select(PurchaseOrder).where(
                    PurchaseOrder.vendor_id == vendor_id, PurchaseOrder.supplier_order_id == supplier_order_id
                )
            )
        return self.by_supplier_id[key]

    def vendor(self, session: Session, vendor_id: int) -> Vendor | None:
        """The vendor's id and code (the columns a supplier's own login may read), read once per unit of work.

        Asked for every supplier order of a page: a query each time would also flush what the events
        before it wrote, one flush per order instead of one per run.
        """
        if vendor_id not in self.vendors:
            self.vendors[vendor_id] = session.scalar(
                select(Vendor).options(load_only(Vendor.id, Vendor.code)).where(Vendor.id == vendor_id)
            )
        return self.vendors[vendor_id]

    # -- pairs: what a supplier order is checked against --------------------------------------------

    def lock_pairs(self, session: Session, wanted: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Take the reorder lock of the named pairs before anything about their positions is read.

        ``wanted`` is (location code, part numbers) per supplier order. A supplier order is checked
        against max under its pairs' lock; what ``prime_pairs`` reads must be what the database holds
        once that lock is held, or a receipt or an order another workstation commits in between would
        not count. Taken before the page reserves order numbers, as a reorder run does (lock, then the
        counter), so the two never wait for each other.
        """
        pairs = self._resolve_pairs(session, wanted) - self.reorder_locked
        if not pairs or self.reorder_locked_all:
            return
        lock_reorder(session, sorted(pairs))
        self.reorder_locked.update(pairs)
        self.reorder_locked_all = session.get_bind().dialect.name == "sqlite"  # SQLite: now the single writer

    def _resolve_pairs(self, session: Session, wanted: Iterable[tuple[str, Iterable[str]]]) -> set[Pair]:
        """The (sku id, location id) of the named pairs that exist; locations and SKUs read once."""
        wanted = [(code, list(parts)) for code, parts in wanted]
        codes = {code for code, _ in wanted} - set(self.locations)
        parts = {p for _, ps in wanted for p in ps} - set(self.skus)
        for chunk in _chunks(codes):
            found = {loc.code: loc for loc in session.scalars(_by_values(Location, Location.code), {"values": chunk})}
            for code in chunk:
                self.locations[code] = found.get(code)
        for chunk in _chunks(parts):
            found_skus = {
                s.part_number: s for s in session.scalars(_by_values(Sku, Sku.part_number), {"values": chunk})
            }
            for part in chunk:
                self.skus[part] = found_skus.get(part)
        pairs: set[Pair] = set()
        for code, ps in wanted:
            location = self.locations.get(code)
            if location is None:
                continue
            for part in ps:
                sku = self.skus.get(part)
                if sku is not None:
                    pairs.add((sku.id, location.id))
        return pairs

    def prime_pairs(self, session: Session, vendor_id: int, wanted: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Read locations, SKUs, the vendor's agreements, on hand and open order lines for the named pairs.

        ``wanted`` is (location code, part numbers) per supplier order.
        """
        pairs = {pair for pair in self._resolve_pairs(session, wanted) if pair not in self.on_hand}
        if not pairs:
            return
        for chunk in _chunks(pairs):
            for key in chunk:
                self.agreements[(vendor_id, key[1], key[0])] = None
                self.on_hand[key] = Decimal("0.000")
                self.pair_lines[key] = []
            wanted_pairs = set(chunk)
            sku_ids = sorted({sku_id for sku_id, _ in chunk})
            location_ids = sorted({location_id for _, location_id in chunk})
            size, params = _pair_params(chunk)
            for agreement in session.scalars(_agreements_for(size), {**params, "vendor_id": vendor_id}):
                self.agreements[(vendor_id, agreement.location_id, agreement.sku_id)] = agreement
            for sku_id, location_id, on_hand in session.execute(_on_hand_for(size), params):
                self.on_hand[(sku_id, location_id)] = Decimal(on_hand)
            line_ids = [
                line_id
                for line_id, sku_id, location_id in session.execute(
                    _open_line_ids(), {"sku_ids": sku_ids, "location_ids": location_ids}
                )
                if (sku_id, location_id) in wanted_pairs
            ]
            for ids in _chunks(line_ids):
                for line, po in session.execute(_lines_with_orders(), {"values": ids}).all():
                    self.pair_lines[(line.sku_id, po.location_id)].append((line, po))

    def location(self, session: Session, code: str) -> Location | None:
        if code not in self.locations:
            self.locations[code] = session.scalar(select(Location).where(Location.code == code))
        return self.locations[code]

    def skus_by_part(self, session: Session, part_numbers: Iterable[str]) -> dict[str, Sku]:
        missing = [p for p in set(part_numbers) if p not in self.skus]
        if missing:
            found = {s.part_number: s for s in session.scalars(select(Sku).where(Sku.part_number.in_(missing)))}
            for part in missing:
                self.skus[part] = found.get(part)
        return {p: sku for p in part_numbers if (sku := self.skus.get(p)) is not None}

    def active_agreements(
        self, session: Session, vendor_id: int, location_id: int, sku_ids: Iterable[int]
    ) -> dict[int, SupplyAgreement]:
        """The vendor's active agreements at the location, by SKU id."""
        ids = set(sku_ids)
        missing = [s for s in ids if (vendor_id, location_id, s) not in self.agreements]
        if missing:
            for s in missing:
                self.agreements[(vendor_id, location_id, s)] = None
            for agreement in session.scalars(
                select(SupplyAgreement).where(
                    SupplyAgreement.vendor_id == vendor_id,
                    SupplyAgreement.location_id == location_id,
                    SupplyAgreement.sku_id.in_(missing),
                    SupplyAgreement.active.is_(True),
                )
            ):
                self.agreements[(vendor_id, location_id, agreement.sku_id)] = agreement
        return {s: a for s in ids if (a := self.agreements.get((vendor_id, location_id, s))) is not None}

    def position_parts(self, session: Session, pairs: Iterable[Pair]) -> dict[Pair, tuple[Decimal, Decimal]]:
        """(on hand, on order) per pair: primed pairs from the live line objects, the rest from the database."""
        from vmi_desktop import ledger
        from vmi_desktop.replenishment.orders import open_quantity_for_check

        result: dict[Pair, tuple[Decimal, Decimal]] = {}
        unprimed = []
        for pair in pairs:
            if pair in self.pair_lines:
                on_order = sum(
                    (line.open_quantity for line, po in self.pair_lines[pair] if po.status in order_status.OPEN),
                    Decimal("0.000"),
                )
                result[pair] = (self.on_hand[pair], on_order)
            else:
                unprimed.append(pair)
        if unprimed:
            # every vendor's open orders, also for a supplier's own login (RLS hides the others' rows)
            by_pair = open_quantity_for_check(
                session, sorted({s for s, _ in unprimed}), sorted({loc for _, loc in unprimed})
            )
            for sku_id, location_id in unprimed:
                on_hand = ledger.current_on_hand(session, sku_id, location_id)
                result[(sku_id, location_id)] = (on_hand, by_pair.get((sku_id, location_id), Decimal("0.000")))
        return result

    def track_lines(self, po: PurchaseOrder) -> None:
        """A new order's lines count towards the position of their primed pairs from now on."""
        for line in po.lines:
            lines = self.pair_lines.get((line.sku_id, po.location_id))
            if lines is not None:
                lines.append((line, po))

    # -- shipments ---------------------------------------------------------------------------------

    def prime_shipments(self, session: Session, vendor_id: int, external_ids: Iterable[str]) -> None:
        ids = {e for e in external_ids if (vendor_id, e) not in self.shipments}
        for chunk in _chunks(ids):
            for e in chunk:
                self.shipments[(vendor_id, e)] = None
            for shipment in session.scalars(_shipments_by_id(), {"vendor_id": vendor_id, "values": chunk}):
                self.shipments[(vendor_id, shipment.external_id)] = shipment

    def shipment(self, session: Session, vendor_id: int, external_id: str) -> Shipment | None:
        key = (vendor_id, external_id)
        if key not in self.shipments:
            self.shipments[key] = session.scalar(
                select(Shipment).where(Shipment.vendor_id == vendor_id, Shipment.external_id == external_id)
            )
        return self.shipments[key]

    def add_shipment(self, shipment: Shipment) -> None:
        self.shipments[(shipment.vendor_id, shipment.external_id)] = shipment

    # -- alert causes --------------------------------------------------------------------------------

    def prime_causes(self, session: Session, cause_keys: Iterable[str]) -> None:
        """Read which of these alert causes are open, so resolving a closed one needs no statement."""
        keys = {k for k in cause_keys if k not in self.open_causes}
        for chunk in _chunks(keys):
            for key in chunk:
                self.open_causes[key] = False
            for key in session.scalars(_open_causes(), {"values": chunk}):
                self.open_causes[key] = True

    def may_be_open(self, cause_key: str) -> bool:
        """False only when the cause is known to have no open alert in this unit of work."""
        return self.open_causes.get(cause_key, True)

    def cause_opened(self, cause_key: str) -> None:
        self.open_causes[cause_key] = True

    def cause_resolved(self, cause_key: str) -> None:
        self.open_causes[cause_key] = False
