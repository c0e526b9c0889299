"""The parts manager's replenishment worklist: what to order, decide or put aside today (no Qt).

A row per SKU x location (its active primary agreement) that is

- at or below min on its inventory position (on hand + on order, drafts and proposals included:
  exactly the reorder trigger's test), or
- projected to reach min within its lead time at its recent consumption rate:
  position - use of the last ``USE_WINDOW_DAYS`` days x lead time / ``USE_WINDOW_DAYS`` <= min, or
- waiting for the parts manager's decision (a proposal or a held supplier order awaiting approval),

and not snoozed (``replenishment.snoozes``); with the ``snoozed`` filter, only the snoozed pairs.

How it stays fast on a million pairs: the first condition implies the second (the use is never
negative), so one test decides both, ``30 x (position - min) <= use x lead time``. Its inputs live in
three tables and a sliding window, so the pages walk an index of the primary agreements in the
requested order (SKU, location or vendor) whose entries carry the ledger's copy of the pair's figures
(``replenishment.pair_figures``): every entry that cannot pass (``REACH_SQL > 0``: never so for a
pair on the worklist) or that a filter leaves out is skipped in the index, and only the few
candidates left (about 4 % on the benchmark world) are judged exactly from the stock level, the
movements and the open orders. The held pairs (a few hundred at most) come from the orders awaiting
approval and are merged into the same order. The total is counted off the UI thread in one pass over
the candidates' partial index, each judged by the same test (``WorklistQuery._stock_count``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy import true as sql_true
from sqlalchemy.orm import Session, aliased

from vmi_desktop import order_status
from vmi_desktop.db.search_sql import contains_text, sqlite_index
from vmi_desktop.models import (
    Criticality,
    Location,
    PairSnooze,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    SupplyAgreement,
    UnitOfMeasure,
    Vendor,
    utcnow,
)
from vmi_desktop.models.catalog import USE_WINDOW_DAYS
from vmi_desktop.queries.base import Column, Kind, PageRequest, Row, TableQuery, like_pattern
from vmi_desktop.queries.worklist_rows import rows_for
from vmi_desktop.replenishment._sql import open_line_quantity
from vmi_desktop.replenishment.pair_figures import reach, recent_use, window_start
from vmi_desktop.replenishment.snoozes import awake_for, snoozed
from vmi_desktop.scope import Actor, vendor_filter


class WorklistState(enum.StrEnum):
    """Where a row stands: nothing open (new), an order at the supplier (ordered), an order waiting for
    the parts manager (held: a proposal or a held supplier order), or put aside (snoozed)."""

    NEW = "new"
    ORDERED = "ordered"
    HELD = "held"
    SNOOZED = "snoozed"


#: The primary agreement of a row (aliased: scope subqueries on supply_agreements stay uncorrelated).
A = aliased(SupplyAgreement, name="a")
_THIRTY = literal_column(str(USE_WINDOW_DAYS), Integer)
_ZERO = literal_column("0", Integer)


#: Written as ix_purchase_order_lines_open_sku's WHERE (a bound parameter would not match it).
OPEN_LINE = text("purchase_order_lines.status = 'open'")


#: Open order quantity of the row's pair (drafts and proposals included), for candidate rows only.
ON_ORDER = (
    select(func.coalesce(func.sum(open_line_quantity()), 0))
    .select_from(PurchaseOrderLine)
    .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
    .where(
        PurchaseOrderLine.sku_id == A.sku_id,
        PurchaseOrder.location_id == A.location_id,
        OPEN_LINE,
        PurchaseOrder.status.in_(sorted(order_status.OPEN)),
    )
    .correlate(A)
    .scalar_subquery()
)
ON_HAND = func.coalesce(StockLevel.on_hand, 0)
#: Open order quantity per pair (drafts and proposals included), summed once for a count over many
#: candidates (materialized: each engine reads the open lines once, not once per candidate).
OPEN_BY_PAIR = (
    select(
        PurchaseOrderLine.sku_id.label("sku_id"),
        PurchaseOrder.location_id.label("location_id"),
        func.sum(open_line_quantity()).label("on_order"),
    )
    .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
    .where(OPEN_LINE, PurchaseOrder.status.in_(sorted(order_status.OPEN)))
    .group_by(PurchaseOrderLine.sku_id, PurchaseOrder.location_id)
    .cte("open_by_pair")
    .prefix_with("MATERIALIZED")
)
#: Pairs (sku_id, location_id) with an open line on an order awaiting approval: the held rows.
HELD_PAIRS = (
    select(PurchaseOrderLine.sku_id, PurchaseOrder.location_id)
    .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
    .where(PurchaseOrder.status == POStatus.AWAITING_APPROVAL, OPEN_LINE)
)


def needs_stock(today: date) -> ColumnElement[bool]:
    """Exact test of a candidate row: 30 x (position - min) <= recent use x lead time.

    The position is computed once; the use only for a pair whose newest consumption is inside the
    window (else it is 0: at or below min on position is then the whole test).
    """
    since = window_start(today)
    gap = _THIRTY * (ON_HAND + ON_ORDER - A.min_qty)
    stale = or_(A.pair_used_at.is_(None), A.pair_used_at < since)
    use = case((stale, _ZERO), else_=recent_use(A.sku_id, A.location_id, since))
    return gap <= use * A.lead_time_days


@dataclass(frozen=True)
class WorklistCounts:
    """What the worklist holds, by reason (a row may be held and short of stock at once)."""

    total: int
    at_or_below_min: int
    held: int


class WorklistQuery(TableQuery):
    """Rows of the worklist for an actor (suppliers: only pairs where their vendor is the primary)."""

    default_sort = "part_number"
    #: Sorted and keyed in SQL: SKU and location (the indexes give those orders). The other columns'
    #: values come from ``worklist_rows.rows_for``; their expressions only name what they show.
    columns = (
        Column("part_number", "SKU", Sku.part_number, width=12),
        Column("description", "Description", Sku.description, width=15, sortable=False),
        Column("location", "Location", Location.code, width=11),
        Column("state", "State", A.id, Kind.ENUM, choices=WorklistState, sortable=False, width=8),  # rows_for
        Column("on_hand", "On hand", ON_HAND, Kind.QTY, sortable=False, width=7),
        Column("on_order", "On order", ON_ORDER, Kind.QTY, sortable=False, width=7),
        Column("position", "Position", ON_HAND, Kind.QTY, sortable=False, width=7),  # rows_for
        Column("min_qty", "Min", A.min_qty, Kind.QTY, sortable=False, width=5),
        Column("max_qty", "Max", A.max_qty, Kind.QTY, sortable=False, width=5),
        Column("suggested", "Suggested", A.max_qty, Kind.QTY, sortable=False, width=8),  # rows_for
        Column("days_of_supply", "Days of\nsupply", A.lead_time_days, Kind.QTY, sortable=False, width=6),
        Column("vendor", "Vendor", Vendor.code, width=9, sortable=False),
        Column("mode", "Mode", A.mode, Kind.ENUM, choices=ReplenishmentMode, sortable=False, width=18),
        Column("criticality", "Criticality", Sku.criticality, Kind.ENUM, choices=Criticality, sortable=False, width=9),
        Column("last_consumption", "Last\nused", A.pair_used_at, Kind.DATE, sortable=False, width=10),
    )

    def __init__(self, today: Callable[[], date] | None = None) -> None:
        #: What "today" is (UTC): the consumption window and the snoozes in force (tests inject it).
        self.today = today or (lambda: utcnow().date())

    # -- the rows' shape ----------------------------------------------------------------------------

    def base(self) -> Select[Any]:
        """The rows' joins (``rows_by_key`` and the keys of a page narrow them; see ``key_base``)."""
        return (
            select(A.id)
            .select_from(A)
            .join(Sku, Sku.id == A.sku_id)
            .join(Location, Location.id == A.location_id)
            .join(Vendor, Vendor.id == A.vendor_id)
            .outerjoin(StockLevel, and_(StockLevel.sku_id == A.sku_id, StockLevel.location_id == A.location_id))
            .outerjoin(UnitOfMeasure, UnitOfMeasure.code == Sku.uom)
        )

    def rows_by_key(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], Row]:
        """Fresh copies of some rows (after an order or a snooze, or a commit elsewhere), in scope."""
        if not keys:
            return {}
        ids = list(
            session.scalars(
                select(A.id)
                .join(Sku, Sku.id == A.sku_id)
                .join(Location, Location.id == A.location_id)
                .where(tuple_(A.sku_id, A.location_id).in_(sorted(set(keys))), *self.scope(actor))
            )
        )
        return {row.key: row for row in rows_for(session, actor, ids, self.today()).values()}

    def key_exprs(self) -> Sequence[Any]:
        return (A.sku_id, A.location_id)

    def key_order(self, sort_key: str | None) -> Sequence[int]:
        # by location: (code, location_id, sku_id) is the order ix_supply_agreements_worklist_location gives
        return (1, 0) if sort_key == "location" else (0, 1)

    def key_base(self, request: PageRequest, *, stock_level: bool = True) -> Select[Any]:
        # a page's keys need the agreement index, the stock level (exact test) and what sort and filters
        # touch; vendors, units and the display subqueries are fetched for the page's rows only. The
        # level is an outer join on its key (the same rows without it): left out where nothing reads it
        stmt = (
            select(A.sku_id).select_from(A).join(Sku, Sku.id == A.sku_id).join(Location, Location.id == A.location_id)
        )
        if stock_level:
            stmt = stmt.outerjoin(
                StockLevel, and_(StockLevel.sku_id == A.sku_id, StockLevel.location_id == A.location_id)
            )
        return stmt

    def count_base(self) -> Select[Any]:
        return self.key_base(PageRequest()).with_only_columns(func.count(), maintain_column_froms=False)

    # -- which rows -----------------------------------------------------------------------------------

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        primary = text_primary()
        conds: list[ColumnElement[bool]] = [primary, Sku.active.is_(True), Location.active.is_(True)]
        if actor.is_supplier:  # never another vendor's thresholds: only pairs the supplier is primary for
            conds.append(vendor_filter(actor, A.vendor_id))
        return conds

    def search(self, text: str) -> ColumnElement[bool]:
        pattern = like_pattern(text)  # as ``contains``, without a lower() per SKU on SQLite
        return or_(contains_text(Sku.part_number, pattern), contains_text(Sku.description, pattern))

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if filters.get("vendor_id") is not None:
            conds.append(A.vendor_id == filters["vendor_id"])
        if filters.get("location_id") is not None:
            conds.append(A.location_id == filters["location_id"])
        if filters.get("mode") is not None:
            conds.append(A.mode == ReplenishmentMode(filters["mode"]))
        if filters.get("criticality") is not None:
            conds.append(Sku.criticality == Criticality(filters["criticality"]))
        if filters.get("stock_out"):
            # the copy first (in the index), then the stock level itself
            conds += [A.pair_on_hand <= _ZERO, ON_HAND <= _ZERO]
        return conds

    def membership(self, filters: Mapping[str, Any], source: str) -> list[ColumnElement[bool]]:
        """Conditions of one source of rows: ``stock`` (short of stock, exactly judged candidates),
        ``held`` (orders awaiting approval) or ``snoozed``; snoozed pairs are left out of the others."""
        today = self.today()
        if source == "snoozed":  # the few snoozed pairs drive (an IN list), not a test on every pair
            active = select(PairSnooze.sku_id, PairSnooze.location_id).where(PairSnooze.until > today)
            return [tuple_(A.sku_id, A.location_id).in_(active)]
        conds: list[ColumnElement[bool]]
        if source == "held":
            conds = [tuple_(A.sku_id, A.location_id).in_(HELD_PAIRS)]
        else:
            conds = [reach(A) <= _ZERO, needs_stock(today)]
        return [*conds, ~snoozed(A.sku_id, A.location_id, today)]

    def sources(self, filters: Mapping[str, Any]) -> tuple[str, ...]:
        return ("snoozed",) if filters.get("snoozed") else ("stock", "held")

    def conditions(self, actor: Actor, request: PageRequest, *, for_page: bool = False) -> list[ColumnElement[bool]]:
        conds = list(self.scope(actor))
        if request.search.strip():
            conds.append(self.search(request.search.strip()))
        conds.extend(self.filter(request.filters))
        return conds

    def page(
        self, session: Session, actor: Actor, request: PageRequest, offset: int, limit: int, after: Row | None = None
    ) -> list[Row]:
        """``limit`` rows in the requested order after the row ``after`` (keyset; ``offset`` only for the
        first page): each source's next keys, merged in that order, then the rows of the first ``limit``."""
        found: dict[int, tuple[Any, ...]] = {}
        for source in self.sources(request.filters):
            if source == "stock" and self._candidate_filter(request) is not None:
                entries = self._judged_keys(session, actor, request, offset, limit, after)
            else:
                entries = self._source_keys(session, actor, request, source, offset, limit, after)
            for entry in entries:
                found.setdefault(entry[-1], entry[:-1])
        ordered = sorted(found, key=lambda agreement_id: found[agreement_id], reverse=request.descending)[:limit]
        if not ordered:
            return []
        rows = rows_for(session, actor, ordered, self.today())
        return [rows[i] for i in ordered if i in rows]

    def _source_keys(
        self,
        session: Session,
        actor: Actor,
        request: PageRequest,
        source: str,
        offset: int,
        limit: int,
        after: Row | None,
    ) -> list[tuple[Any, ...]]:
        """(sort value, key columns in tie-break order, agreement id) of one source's next ``limit`` rows."""
        column = self._sort_column(request)
        order = list(self.key_order(column.key if column else None))
        head = [column.expr] if column is not None else []
        conds = [*self.conditions(actor, request, for_page=True), *self.membership(request.filters, source)]
        keyset = self._after(request, after, actor) if after is not None else []
        # held and snoozed rows read nothing of the stock level but for the stock-out filter
        level = source == "stock" or bool(request.filters.get("stock_out"))
        narrow = self.key_base(request, stock_level=level).with_only_columns(
            *head, *(self.key_exprs()[i] for i in order), A.id, maintain_column_froms=False
        )
        if column is not None and column.key == "location":
            return self._keys_by_location(session, request, narrow.where(*conds), limit, after)
        stmt = narrow.where(and_(sql_true(), *conds, *keyset)).order_by(*self._order(request, actor)).limit(limit)
        if after is None:
            stmt = stmt.offset(offset)
        if source == "stock" and request.search.strip() and column is not None and column.key == "part_number":
            # the walk in part-number order tests the text on the SKU index entry (SQLite's planner
            # would read every SKU row instead: a search matching few SKUs reads them all)
            stmt = sqlite_index(stmt, Sku, "ix_skus_search")
        return [tuple(r) for r in session.execute(stmt)]

    # -- a page filtered by vendor or location: the filter's candidates, judged in batches ----------

    #: Candidates read per statement in page order, and judged by the first statement (x the page size:
    #: about a quarter of the candidates pass on the benchmark world, so one statement often fills a
    #: page; the next batches are sized by the pass rate seen, ``_next_batch``, usually one more page).
    CANDIDATES_READ = 1000
    JUDGE_FACTOR = 4

    def _candidate_filter(self, request: PageRequest) -> str | None:
        """The filter whose candidates an index holds (``ix_supply_agreements_candidates_*``), if any."""
        if request.filters.get("snoozed"):
            return None
        for key, column in (("vendor_id", "vendor_id"), ("location_id", "location_id")):
            if request.filters.get(key) is not None:
                return column
        return None

    def _judged_keys(
        self, session: Session, actor: Actor, request: PageRequest, offset: int, limit: int, after: Row | None
    ) -> list[tuple[Any, ...]]:
        """The stock rows of a page filtered by vendor or location: that filter's candidates (from its
        partial index, sorted: a few thousand at most) read in page order, then judged exactly a batch
        at a time by ``needs_stock`` until the page is full.

        One statement that walked and judged at once would either walk every SKU past the pairs the
        filter leaves out (most of them: a vendor's parts sit in a few ranges of part numbers) or,
        from the partial index, judge every candidate before sorting them."""
        want = limit + (offset if after is None else 0)
        passed: list[tuple[Any, ...]] = []
        judged = 0
        cursor = after
        size = limit * self.JUDGE_FACTOR
        while True:
            entries = self._candidate_keys(session, actor, request, self.CANDIDATES_READ, cursor)
            start = 0
            while start < len(entries):
                chunk = entries[start : start + size]
                start += len(chunk)
                kept = self._judge(session, request, [e[-1] for e in chunk])
                passed += [e for e in chunk if e[-1] in kept]
                judged += len(chunk)
                if len(passed) >= want:
                    return passed[want - limit : want]
                size = self._next_batch(want - len(passed), len(passed), judged, limit)
            if len(entries) < self.CANDIDATES_READ:
                return passed[want - limit : want]
            cursor = self._entry_row(request, entries[-1])

    @staticmethod
    def _next_batch(missing: int, passed: int, judged: int, limit: int) -> int:
        """How many candidates the next statement judges: what the pass rate so far says the rest of
        the page needs, half again as many for safety, and at least a page (a statement costs more
        than a few candidates); twice as many as so far while none has passed."""
        if passed == 0:
            return max(limit, 2 * judged)
        return max(limit, -(-missing * judged * 3 // (passed * 2)))

    def _candidate_keys(
        self, session: Session, actor: Actor, request: PageRequest, limit: int, after: Row | None
    ) -> list[tuple[Any, ...]]:
        """(sort value, key columns in tie-break order, agreement id) of the next ``limit`` candidates:
        what the partial index tells (scope, search, filters, ``REACH_SQL <= 0``), nothing judged."""
        column = self._sort_column(request)
        order = list(self.key_order(column.key if column else None))
        head = [column.expr] if column is not None else []
        filters = {k: v for k, v in request.filters.items() if k != "stock_out"}
        conds = self.conditions(actor, replace(request, filters=filters))
        if request.filters.get("stock_out"):
            conds.append(A.pair_on_hand <= _ZERO)  # the copy; the stock level is judged
        marker = self._candidate_filter(request)
        assert marker is not None
        conds += [getattr(A, marker).is_not(None), reach(A) <= _ZERO]  # names the partial index
        narrow = (
            select(*head, *(self.key_exprs()[i] for i in order), A.id)
            .select_from(A)
            .join(Sku, Sku.id == A.sku_id)
            .join(Location, Location.id == A.location_id)
        )
        if column is not None and column.key == "location":
            return self._keys_by_location(session, request, narrow.where(*conds), limit, after)
        keyset = self._after(request, after, actor) if after is not None else []
        stmt = narrow.where(and_(sql_true(), *conds, *keyset)).order_by(*self._order(request, actor)).limit(limit)
        return [tuple(r) for r in session.execute(stmt)]

    def _judge(self, session: Session, request: PageRequest, agreement_ids: list[int]) -> set[int]:
        """Which of these candidates are on the worklist for want of stock: ``needs_stock`` (and the
        stock level of the stock-out filter) in one statement over their ids, snoozed pairs left out."""
        if not agreement_ids:
            return set()
        today = self.today()
        facts = (
            select(
                A.id.label("id"),
                A.sku_id.label("sku_id"),
                A.location_id.label("location_id"),
                A.lead_time_days.label("lead_time"),
                A.pair_used_at.label("used_at"),
                (_THIRTY * (ON_HAND + ON_ORDER - A.min_qty)).label("gap"),
                (A.pair_recent_use * A.lead_time_days).label("bound"),
            )
            .select_from(A)
            .outerjoin(StockLevel, and_(StockLevel.sku_id == A.sku_id, StockLevel.location_id == A.location_id))
            .where(A.id.in_(bindparam("ids", expanding=True)), ~snoozed(A.sku_id, A.location_id, today))
            # a LIMIT keeps SQLite from merging this into the outer query (the open orders once a row)
            .limit(bindparam("count"))
        )
        if request.filters.get("stock_out"):
            facts = facts.where(ON_HAND <= _ZERO)
        f = facts.subquery("facts")
        since = window_start(today)
        stale = or_(f.c.used_at.is_(None), f.c.used_at < since)
        use = case((stale, _ZERO), else_=recent_use(f.c.sku_id, f.c.location_id, since))
        stmt = select(f.c.id).where(
            # needs_stock's test. The use is read only where it can decide: the ledger's copy of it
            # bounds it from above (the candidate test already relies on that), so a gap above the copy's
            # bound fails whatever the movements say
            or_(f.c.bound < _ZERO, f.c.gap <= f.c.bound),
            f.c.gap <= use * f.c.lead_time,
        )
        return set(session.scalars(stmt, {"ids": agreement_ids, "count": len(agreement_ids)}))

    def _entry_row(self, request: PageRequest, entry: tuple[Any, ...]) -> Row:
        """A key entry as the row a keyset continues after: its sort value and its key."""
        column = self._sort_column(request)
        order = list(self.key_order(column.key if column else None))
        keys = entry[1:-1] if column is not None else entry[:-1]
        key: list[Any] = [None, None]
        for position, index in enumerate(order):
            key[index] = keys[position]
        return Row(key=tuple(key), values={column.key: entry[0]} if column is not None else {})

    def _keys_by_location(
        self, session: Session, request: PageRequest, stmt: Select[Any], limit: int, after: Row | None
    ) -> list[tuple[Any, ...]]:
        """In location order: one location at a time (in code order), its rows by SKU id from
        ix_supply_agreements_worklist_location. PostgreSQL would otherwise judge every candidate of
        every location before it sorts."""
        codes = select(Location.id, Location.code).where(Location.active.is_(True))
        if request.filters.get("location_id") is not None:
            codes = codes.where(Location.id == request.filters["location_id"])
        if after is not None:
            cursor = after.values["location"]
            codes = codes.where(Location.code <= cursor if request.descending else Location.code >= cursor)
        codes = codes.order_by(Location.code.desc() if request.descending else Location.code)
        found: list[tuple[Any, ...]] = []
        for location_id, code in session.execute(codes).all():
            one = stmt.where(A.location_id == location_id)
            if after is not None and code == after.values["location"]:
                one = one.where(A.sku_id < after.key[0] if request.descending else A.sku_id > after.key[0])
            order = A.sku_id.desc() if request.descending else A.sku_id
            found += [tuple(r) for r in session.execute(one.order_by(order).limit(limit - len(found)))]
            if len(found) >= limit:
                break
        return found

    def count(self, session: Session, actor: Actor, request: PageRequest) -> int:
        """How many rows the worklist holds under ``request`` (one COUNT per source; held rows that are
        also short of stock are counted once)."""
        return self.counts(session, actor, request).total

    def counts_key(self, actor: Actor, request: PageRequest | None = None) -> tuple[Any, ...]:
        """Everything ``counts`` depends on besides the database: two asks with equal keys and the same data
        get equal answers (the sort does not count), so the pages that show them share one run
        (``ui.shared_runs``)."""
        request = request or PageRequest()
        filters = tuple(sorted(request.filters.items()))
        return ("worklist.counts", actor, self.today(), request.search.strip(), filters)

    def counts(self, session: Session, actor: Actor, request: PageRequest | None = None) -> WorklistCounts:
        """The total and its parts: at or below min on position (the reorder trigger's own test) and
        held. Two statements: one pass over the candidates of a partial index (``_stock_count``), one
        over the held pairs. Run off the UI thread: about half a second per million pairs."""
        request = request or PageRequest()
        today = self.today()
        base = self.count_base().where(and_(sql_true(), *self.conditions(actor, request)))
        if request.filters.get("snoozed"):
            total = int(session.scalar(base.where(*self.membership(request.filters, "snoozed"))) or 0)
            return WorklistCounts(total, 0, 0)
        awake = awake_for(actor, A.sku_id, A.location_id, today)
        short = needs_stock(today)
        one = literal_column("1", Integer)
        stock, below = session.execute(self._stock_count(actor, request, today)).one()
        held, held_short = session.execute(
            base.with_only_columns(
                func.count(),
                func.coalesce(func.sum(case((and_(reach(A) <= _ZERO, short), one), else_=_ZERO)), 0),
                maintain_column_froms=False,
            ).where(tuple_(A.sku_id, A.location_id).in_(HELD_PAIRS), awake)
        ).one()
        return WorklistCounts(int(stock) + int(held) - int(held_short), int(below), int(held))

    def _stock_count(self, actor: Actor, request: PageRequest, today: date) -> Select[Any]:
        """(rows short of stock, of which at or below min on position) under ``request``: the candidates
        of a partial index (``REACH_SQL <= 0``), each judged by ``needs_stock``'s test in one pass.

        The same test, cheaper per candidate: the open orders of all pairs are summed once (a few
        thousand open lines) instead of twice per candidate, and the use in the window is read only
        where it can decide. A gap at or below 0 passes whatever the use (never negative, nor is the
        lead time); a gap above the ledger's copy of the use x lead time fails whatever the movements
        say (the copy bounds the use from above: the candidate test itself relies on that).
        """
        on_order = func.coalesce(OPEN_BY_PAIR.c.on_order, _ZERO)
        gap = _THIRTY * (ON_HAND + on_order - A.min_qty)
        since = window_start(today)
        stale = or_(A.pair_used_at.is_(None), A.pair_used_at < since)
        use = case((stale, _ZERO), else_=recent_use(A.sku_id, A.location_id, since))
        bound = A.pair_recent_use * A.lead_time_days
        marker = self._candidate_filter(request) or "vendor_id"
        one = literal_column("1", Integer)
        return (
            select(func.count(), func.coalesce(func.sum(case((gap <= _ZERO, one), else_=_ZERO)), 0))
            .select_from(A)
            .join(Sku, Sku.id == A.sku_id)
            .join(Location, Location.id == A.location_id)
            .outerjoin(StockLevel, and_(StockLevel.sku_id == A.sku_id, StockLevel.location_id == A.location_id))
            .outerjoin(
                OPEN_BY_PAIR,
                and_(OPEN_BY_PAIR.c.sku_id == A.sku_id, OPEN_BY_PAIR.c.location_id == A.location_id),
            )
            .where(
                and_(sql_true(), *self.conditions(actor, request)),
                getattr(A, marker).is_not(None),  # names the candidates' partial index
                reach(A) <= _ZERO,
                awake_for(actor, A.sku_id, A.location_id, today),
                or_(gap <= _ZERO, and_(gap <= bound, gap <= use * A.lead_time_days)),
            )
        )


def text_primary() -> ColumnElement[bool]:
    """``a.is_primary AND a.active``, written as the partial indexes' WHERE so both engines use them."""
    return text("a.is_primary AND a.active")  # type: ignore[return-value]
