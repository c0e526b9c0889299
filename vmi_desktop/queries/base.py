"""The shape every table query shares: columns, scope, search, sort and a page of rows.

A page is fetched with ``ORDER BY <sort column>, <key columns>`` (the key is
the tiebreak, so pages never overlap or skip rows) and ``LIMIT/OFFSET``; the
total is a separate ``COUNT`` over the same conditions, so neither ever
loads more than one page into Python.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, and_, func, literal, null, select, true, tuple_
from sqlalchemy.orm import Session

from vmi_desktop.db.changes import Changes
from vmi_desktop.scope import Actor


class Kind(enum.StrEnum):
    """How a column's values are shown and edited."""

    TEXT = "text"
    QTY = "qty"
    MONEY = "money"
    INT = "int"
    ENUM = "enum"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    """One table column: its SQL expression and, when editable, the catalog field it maps to."""

    key: str
    title: str
    expr: Any
    kind: Kind = Kind.TEXT
    sortable: bool = True
    field: str | None = None  # catalog_service field name when the column is editable
    choices: type[enum.Enum] | None = None
    width: int = 0  # a hint in characters for the default layout
    #: what ORDER BY uses when it is not the shown value (a severity by rank); such a sort pages by offset
    order_expr: Any = None

    @property
    def editable(self) -> bool:
        return self.field is not None


@dataclass(frozen=True)
class Row:
    """One table row: display values by column key, the row key, and what an edit needs."""

    key: tuple[Any, ...]
    values: dict[str, Any]
    edit_id: int | None = None  # id of the entity an edit changes (None: not editable)
    version: int | None = None  # its version when read, for optimistic locking
    active: bool = True


@dataclass(frozen=True)
class PageRequest:
    """What the table currently shows: search text, filters and sort."""

    search: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort_key: str | None = None
    descending: bool = False


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards escaped."""
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(expr: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match that works the same on SQLite and PostgreSQL."""
    return expr.ilike(like_pattern(text), escape="\\")


class TableQuery:
    """Base of the table queries; subclasses say what to select and how to scope and search it."""

    #: catalog_service entity edited through this table ("" when read-only).
    entity: ClassVar[str] = ""
    #: default sort column key
    default_sort: ClassVar[str] = ""
    columns: tuple[Column, ...] = ()
    #: values fetched with each row but not shown (ids a row opens, a cause key): in ``Row.values``
    hidden: tuple[Column, ...] = ()

    # -- to implement ---------------------------------------------------------------------------

    def base(self) -> Select[Any]:
        """SELECT ... FROM ... JOIN ... without WHERE/ORDER (columns added by ``_select``)."""
        raise NotImplementedError

    def key_exprs(self) -> Sequence[Any]:
        """The row key (unique, also the sort tiebreak)."""
        raise NotImplementedError

    def key_base(self, request: PageRequest) -> Select[Any] | None:
        """A narrower FROM for finding a page's keys (deferred join), or None to page the full select."""
        return None

    def key_order(self, sort_key: str | None) -> Sequence[int]:
        """Which key columns break ties first for a sort (so an index can give the whole order)."""
        return range(len(self.key_exprs()))

    def edit_exprs(self) -> tuple[Any, Any] | None:
        """(entity id, version) of the row an edit changes, or None for read-only tables."""
        return None

    def active_expr(self) -> Any | None:
        """The 'active' flag when the table shows inactive rows greyed out."""
        return None

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        """Conditions from ``vmi_desktop.scope`` restricting rows to what ``actor`` may see."""
        return []

    def base_for(self, actor: Actor) -> Select[Any]:
        """The FROM for ``actor``: ``base()``, unless what a row joins depends on who looks (a supplier's own
        agreement for a pair instead of the primary one)."""
        return self.base()

    def hidden_columns(self, actor: Actor) -> frozenset[str]:
        """Columns ``actor`` may not read (never selected for them: NULL instead; the page hides them)."""
        return frozenset()

    def column_expr(self, column: Column, actor: Actor) -> Any:
        """The SQL of ``column`` for ``actor`` (NULL for a hidden column)."""
        return null() if column.key in self.hidden_columns(actor) else column.expr

    def search(self, text: str) -> ColumnElement[bool]:
        """Condition for the search box."""
        return true()

    def page_search(self, text: str) -> ColumnElement[bool]:
        """Search condition for page queries (which have the joins); by default the same as ``search``."""
        return self.search(text)

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        """Conditions for extra filters (location, vendor, show inactive…)."""
        return []

    def post_process(self, values: dict[str, Any]) -> dict[str, Any]:
        """Derive display values from fetched ones (cheaper in Python than a second subquery)."""
        return values

    def count_base(self) -> Select[Any]:
        """``SELECT count(*) FROM ...``: only the joins the conditions need (override to drop joins)."""
        return self.base().with_only_columns(func.count(), maintain_column_froms=False)

    # -- shared ---------------------------------------------------------------------------------

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def conditions(self, actor: Actor, request: PageRequest, *, for_page: bool = False) -> list[ColumnElement[bool]]:
        conds = list(self.scope(actor))
        if request.search.strip():
            text = request.search.strip()
            conds.append(self.page_search(text) if for_page else self.search(text))
        conds.extend(self.filter(request.filters))
        return conds

    def _select(self, actor: Actor) -> Select[Any]:
        stmt = self.base_for(actor)
        extra: list[Any] = [self.column_expr(c, actor).label(c.key) for c in (*self.columns, *self.hidden)]
        extra += [expr.label(f"_k{i}") for i, expr in enumerate(self.key_exprs())]
        edit = self.edit_exprs()
        if edit is not None:
            extra += [edit[0].label("_edit_id"), edit[1].label("_version")]
        active = self.active_expr()
        if active is not None:
            extra.append(active.label("_active"))
        return stmt.with_only_columns(*extra, maintain_column_froms=False)

    def _order(self, request: PageRequest, actor: Actor) -> list[Any]:
        column = self._sort_column(request)
        keys = [self.key_exprs()[i] for i in self.key_order(column.key if column else None)]
        order: list[Any] = []
        if column is not None:
            hidden_for_actor = column.key in self.hidden_columns(actor)
            expr = (
                self.column_expr(column, actor) if column.order_expr is None or hidden_for_actor else column.order_expr
            )
            order.append(expr.desc() if request.descending else expr.asc())
        order += [k.desc() if request.descending else k.asc() for k in keys]
        return order

    def _row(self, record: Any) -> Row:
        mapping = record._mapping
        nkeys = len(self.key_exprs())
        edit_id = mapping.get("_edit_id")
        version = mapping.get("_version")
        active = bool(mapping["_active"]) if "_active" in mapping else True
        return Row(
            key=tuple(mapping[f"_k{i}"] for i in range(nkeys)),
            values=self.post_process({c.key: mapping[c.key] for c in (*self.columns, *self.hidden)}),
            edit_id=edit_id,
            version=version,
            active=active,
        )

    def _sort_column(self, request: PageRequest) -> Column | None:
        sort_key = request.sort_key or self.default_sort
        if not sort_key:
            return None
        column = self.column(sort_key)
        return column if column.sortable else None

    def _after(self, request: PageRequest, after: Row, actor: Actor) -> list[ColumnElement[bool]]:
        """Keyset condition: rows strictly after ``after`` in the page order (no OFFSET to skip)."""
        column = self._sort_column(request)
        if column is not None and column.key in self.hidden_columns(actor):
            raise ValueError("no keyset over a hidden column")
        if column is not None and column.order_expr is not None:
            raise ValueError("a sort by another expression than the shown one pages by offset")
        order = list(self.key_order(column.key if column else None))
        keys = [self.key_exprs()[i] for i in order]
        exprs = ([self.column_expr(column, actor)] if column else []) + keys
        values = ([after.values[column.key]] if column else []) + [after.key[i] for i in order]
        if any(v is None for v in values):
            raise ValueError("keyset paging needs non-null sort values")
        # each value bound with its column's type (exact decimals are stored scaled on SQLite)
        values = [literal(v, type_=e.type) for v, e in zip(values, exprs, strict=True)]
        if request.descending:
            conds = [tuple_(*exprs) < tuple_(*values)]
            if column is not None:  # a plain range on the sort column lets the index seek
                conds.append(exprs[0] <= values[0])
        else:
            conds = [tuple_(*exprs) > tuple_(*values)]
            if column is not None:
                conds.append(exprs[0] >= values[0])
        return conds

    def page(
        self, session: Session, actor: Actor, request: PageRequest, offset: int, limit: int, after: Row | None = None
    ) -> list[Row]:
        """``limit`` rows in the requested order: after the row ``after`` (keyset), else from ``offset``.

        Keyset paging keeps page N as cheap as page 1; it is used when the sort
        value and key of the last loaded row are known and not null.
        """
        conds = self.conditions(actor, request, for_page=True)
        keyset: list[ColumnElement[bool]] | None = None
        if after is not None:
            try:
                keyset = self._after(request, after, actor)
            except ValueError:
                keyset = None
        narrow = self.key_base(request)
        base = (
            self._select(actor)
            if narrow is None
            else narrow.with_only_columns(*self.key_exprs(), maintain_column_froms=False)
        )
        stmt = base.order_by(*self._order(request, actor)).limit(limit)
        if keyset is not None:
            stmt = stmt.where(and_(true(), *conds, *keyset))
        else:
            stmt = stmt.where(and_(true(), *conds)).offset(offset)
        if narrow is not None:
            # deferred join: find the page's keys with the few joins the order and filter need,
            # then fetch the display columns (outer joins, subqueries) for those rows only
            keys = stmt.subquery("page_keys")
            stmt = (
                self._select(actor)
                .where(tuple_(*self.key_exprs()).in_(select(*keys.c)))
                .order_by(*self._order(request, actor))
            )
        return [self._row(r) for r in session.execute(stmt)]

    def count(self, session: Session, actor: Actor, request: PageRequest) -> int:
        """How many rows match (one COUNT query)."""
        stmt = self.count_base().where(and_(true(), *self.conditions(actor, request)))
        return int(session.scalar(stmt) or 0)

    def iter_rows(self, session: Session, actor: Actor, request: PageRequest, *, chunk: int = 1000) -> Iterator[Row]:
        """Every row matching ``request``, in its order, a keyset page at a time (exports, prints)."""
        after: Row | None = None
        offset = 0
        while True:
            rows = self.page(session, actor, request, offset, chunk, after=after)
            yield from rows
            if len(rows) < chunk:
                return
            after, offset = rows[-1], offset + len(rows)

    def rows_by_key(
        self, session: Session, actor: Actor, keys: Sequence[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], Row]:
        """Fresh copies of some rows (after a save, a conflict or a commit), still within ``actor``'s scope.

        Set-based: one ``WHERE (key) IN (...)`` per 500 keys, so refreshing every loaded row after a
        change costs a few queries, not one per row.
        """
        found: dict[tuple[Any, ...], Row] = {}
        key_exprs = list(self.key_exprs())
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            single = len(key_exprs) == 1
            cond = key_exprs[0].in_([k[0] for k in batch]) if single else tuple_(*key_exprs).in_(batch)
            stmt = self._select(actor).where(cond, *self.scope(actor))
            for record in session.execute(stmt):
                row = self._row(record)
                found[row.key] = row
        return found

    def refresh_plan(self, changes: Changes, loaded: Sequence[Row]) -> list[tuple[Any, ...]] | bool:
        """What a committed change means for the loaded rows: keys to re-read in place, or True to reload.

        The default re-reads every loaded row after a master-data change (a renamed SKU shows
        everywhere) and nothing otherwise; tables keyed by pair, agreement or order say more.
        """
        return [r.key for r in loaded] if changes.master_data else []
