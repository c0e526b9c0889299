"""New objects of a unit of work written as rows: one executemany per table instead of the ORM's insert.

A page of supplier events creates a few hundred orders, lines and shipments as ORM objects (the
order services and the working set need them as objects: a later event of the page cancels or
ships what an earlier one raised). Flushed by the ORM, each costs its insert bookkeeping (cascades,
dependency sort, value collection, identity registration), more than the SQL itself.
``insert_pending`` writes the pending objects of the given models whose primary key is already
assigned (the working set hands out ids without a flush) as plain rows, in the order of the models
given (parents first), with the values a flush would write (the objects' own, else the column's
default, and the version counter's first value), then keeps each object in the session as a
persistent one with that state: later changes to it are flushed as updates, as after a flush.

Objects without their primary key, and every other model, are left to the ORM's flush.

``new_row_object`` builds such an object without the attribute events of the mapped constructor
(a quarter of a new supplier order's cost): its column values go straight into its state, its
relationships are set as loaded. It is for objects whose primary key and foreign keys are given
(the ORM's flush then writes them as well as ``insert_pending`` does, should one come first).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Table, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import MANYTOONE

from vmi_desktop.db.rows import insert_many, update_many

T = TypeVar("T")


@functools.cache
def _column_keys(mapper: Mapper[Any]) -> frozenset[str]:
    return frozenset(p.key for p in mapper.column_attrs)


@functools.cache
def _construction(model: Hashable) -> tuple[Any, frozenset[str]]:
    """The model's class manager (what makes a new instance) and its column attributes, looked up once."""
    mapper: Mapper[Any] = inspect(model)
    return mapper.class_manager, _column_keys(mapper)


def new_row_object(model: type[T], values: dict[str, Any], **related: Any) -> T:
    """A new, transient ``model`` object holding ``values`` (column attributes by key, its primary key and
    foreign keys included), with ``related`` relationships set as loaded: a list for a collection, an
    object for a many-to-one (see the module docstring). Add it to the session as any new object."""
    manager, keys = _construction(cast(Hashable, model))
    if not keys.issuperset(values):
        unknown = values.keys() - keys
        raise ValueError(f"{model.__name__} has no column attributes {sorted(unknown)}")
    obj: T = manager.new_instance()
    obj.__dict__.update(values)
    for key, value in related.items():
        set_committed_value(obj, key, value)
    return obj


def add_new(session: Session, objects: Sequence[Any]) -> None:
    """Add new objects built by ``new_row_object`` to the session as pending, each of them given.

    What ``session.add`` does for each, without its cascade: that walks every relationship of every
    object for more objects to add (a quarter of a new supplier order's cost), when the caller hands in
    all there are (an order and its lines). With a SQLAlchemy lacking the step, ``session.add_all``.
    """
    save = getattr(session, "_save_impl", None)
    if save is None:  # pragma: no cover (a SQLAlchemy without it)
        session.add_all(objects)
        return
    for obj in objects:
        save(instance_state(obj))


@functools.cache
def _parents(mapper: Mapper[Any]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Per many-to-one relationship: its key and the (local attribute, parent attribute) pairs a flush copies."""
    parents: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for rel in mapper.relationships:
        if rel.direction is not MANYTOONE:
            continue
        pairs = tuple(
            (mapper.get_property_by_column(local).key, rel.mapper.get_property_by_column(remote).key)
            for local, remote in rel.local_remote_pairs
            if local.table is mapper.local_table
        )
        parents.append((rel.key, pairs))
    return tuple(parents)


def _foreign_keys(mapper: Mapper[Any], obj: Any) -> dict[str, Any] | None:
    """The foreign keys a flush would copy from ``obj``'s many-to-one parents; None when one is not known yet."""
    keys: dict[str, Any] = {}
    values = obj.__dict__
    for rel_key, pairs in _parents(mapper):
        parent = values.get(rel_key)
        if parent is None:
            continue
        parent_values = parent.__dict__
        for local, remote in pairs:
            value = parent_values.get(remote)
            if value is None:
                return None
            keys[local] = value
    return keys


#: How a column not given gets its value: called with None (the version counter's first, a callable default),
#: a scalar default, or none.
_CALLABLE, _SCALAR, _NONE = range(3)


@functools.cache
def _columns(mapper: Mapper[Any]) -> tuple[tuple[str, str, int, Any], ...]:
    """(attribute key, column key, how a missing value is made, with what) of each column, worked out once."""
    columns: list[tuple[str, str, int, Any]] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        default: Any = column.default
        if column is mapper.version_id_col and callable(mapper.version_id_generator):
            columns.append((prop.key, column.key, _CALLABLE, mapper.version_id_generator))
        elif default is not None and default.is_scalar:
            columns.append((prop.key, column.key, _SCALAR, default.arg))
        elif default is not None and default.is_callable:
            columns.append((prop.key, column.key, _CALLABLE, default.arg))
        else:
            columns.append((prop.key, column.key, _NONE, None))
    return tuple(columns)


def _row(mapper: Mapper[Any], obj: Any, foreign_keys: dict[str, Any]) -> dict[str, Any]:
    """The column values a flush would insert for ``obj``, set in its state too (so that none is expired)."""
    values = obj.__dict__
    row: dict[str, Any] = {}
    for key, column_key, kind, made_with in _columns(mapper):
        if key in foreign_keys and values.get(key) is None:
            value = foreign_keys[key]
        elif key in values:
            row[column_key] = values[key]
            continue
        elif kind == _CALLABLE:
            value = made_with(None)
        elif kind == _SCALAR:
            value = made_with
        else:
            value = None
        values[key] = value  # committed with the rest when the object turns persistent
        row[column_key] = value
    return row


@functools.cache
def _identity(model: Hashable) -> tuple[Mapper[Any], tuple[str, ...]]:
    """The model's mapper and its primary key's attributes, looked up once."""
    mapper: Mapper[Any] = inspect(model)
    return mapper, tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


def insert_pending(session: Session, models: Sequence[type[Any]]) -> int:
    """Insert the session's pending objects of ``models`` that have their primary key (see the module
    docstring), parents before children; returns how many rows were written."""
    wanted: dict[type[Any], list[Any]] = {model: [] for model in models}
    for obj in session.new:
        objs = wanted.get(type(obj))
        if objs is not None:
            objs.append(obj)
    if not any(wanted.values()):
        return 0
    written: list[Any] = []
    connection = session.connection()
    for model, objs in wanted.items():
        mapper, pk_keys = _identity(cast(Hashable, model))
        ready: list[tuple[Any, dict[str, Any]]] = []
        for obj in objs:
            values = obj.__dict__
            if any(values.get(k) is None for k in pk_keys):
                continue
            foreign_keys = _foreign_keys(mapper, obj)
            if foreign_keys is not None:
                ready.append((obj, foreign_keys))
        if not ready:
            continue
        ready.sort(key=lambda pair: tuple(pair[0].__dict__[k] for k in pk_keys))
        rows = [_row(mapper, obj, foreign_keys) for obj, foreign_keys in ready]
        table: Table = mapper.local_table  # type: ignore[assignment]
        insert_many(connection, table, rows)
        written.extend(obj for obj, _ in ready)
    register = getattr(session, "_register_persistent", None)
    if register is not None:
        # What the flush itself does with the objects it inserted: pending -> persistent and clean, in the
        # identity map, and expunged again should the transaction or savepoint roll back. No cascades.
        register({inspect(obj) for obj in written})
        return len(written)
    for obj in written:  # the public way round (a SQLAlchemy without that method)
        if obj in session:
            session.expunge(obj)  # pending -> transient (an order takes its lines with it)
    for obj in written:
        make_transient_to_detached(obj)  # as if just read: its identity, no pending change
    for obj in written:
        if obj not in session:
            session.add(obj)  # persistent and clean (an order brings its lines back with it)
    return len(written)


def update_changed(session: Session, model: type[Any]) -> int:
    """Write the column changes of the session's changed ``model`` objects in batches; returns how many.

    The ORM updates a versioned row in a statement of its own (to check each row's count): a page that
    acknowledges and ships 500 orders pays 500 statements. Here one executemany per set of changed
    columns writes what a flush would (the changes, the ``onupdate`` values, the next version, where the
    version is still the one read) and checks the rows matched in sum: fewer than sent raises
    ``StaleDataError`` as the flush does (someone else changed one of them meanwhile). The objects are
    then as after a flush. One whose relationships, key or version changed is left to the flush.
    """
    mapper: Mapper[Any] = inspect(model)
    table: Table = mapper.local_table  # type: ignore[assignment]
    version = mapper.version_id_col
    version_key = mapper.get_property_by_column(version).key if version is not None else None
    pk_keys = {mapper.get_property_by_column(c).key for c in mapper.primary_key}
    (pk_column,) = mapper.primary_key
    pk_key = mapper.get_property_by_column(pk_column).key
    onupdate = [p for p in mapper.column_attrs if p.columns[0].onupdate is not None]
    column_keys = {p.key for p in mapper.column_attrs}
    relationship_keys = {r.key for r in mapper.relationships}
    all_keys = column_keys | relationship_keys
    groups: dict[tuple[str, ...], list[tuple[Any, dict[str, Any]]]] = {}
    for obj in session.dirty:
        if type(obj) is not model:
            continue
        state = instance_state(obj)
        if state.key is None or state.deleted:
            continue
        touched = all_keys & state.committed_state.keys()  # the attributes set since it was read or flushed
        # Each attribute's history as ``state.attrs[key].history`` gives it, without building the view of
        # every attribute that ``attrs`` is (for the few that changed).
        if any(state.get_history(key, PASSIVE_NO_INITIALIZE).has_changes() for key in touched & relationship_keys):
            continue
        changes = {
            key: hist.added[0]
            for key in touched & column_keys
            if (hist := state.get_history(key, PASSIVE_NO_INITIALIZE)).added
        }
        if not changes or version_key in changes or pk_keys & changes.keys():
            continue
        for prop in onupdate:
            if prop.key not in changes:
                default = prop.columns[0].onupdate
                changes[prop.key] = default.arg(None) if default.is_callable else default.arg
        if version_key is not None:
            changes[version_key] = mapper.version_id_generator(obj.__dict__[version_key])  # type: ignore[operator,misc]
        groups.setdefault(tuple(sorted(changes)), []).append((obj, changes))
    connection = session.connection()
    written = 0
    where = [str(pk_column.key)] if version is None else [str(pk_column.key), str(version.key)]
    for keys, items in groups.items():
        set_columns = [mapper.get_property(k).columns[0].key for k in keys]
        rows = []
        for obj, changes in items:
            row = [changes[k] for k in keys]
            row.append(obj.__dict__[pk_key])
            if version_key is not None:
                row.append(obj.__dict__[version_key])
            rows.append(tuple(row))
        matched = update_many(connection, table, set_columns, where, rows)  # one executemany (``db.rows``)
        if matched != len(rows):
            raise StaleDataError(
                f"UPDATE statement on table '{table.name}' expected to update {len(rows)} row(s); "
                f"{matched} were matched."
            )
        for obj, changes in items:
            _written_as(session, obj, changes)
        written += len(items)
    return written


def _written_as(session: Session, obj: Any, values: dict[str, Any]) -> None:
    """The object holds ``values`` as written and is clean, as after a flush: the next flush skips it instead
    of looking it over again (the page's orders and lines: most of a flush's cost)."""
    state = instance_state(obj)
    commit_all = getattr(state, "_commit_all", None)  # SQLAlchemy's own step after a flush (private)
    if commit_all is None:  # pragma: no cover (a SQLAlchemy without it): committed, yet looked over again
        for key, value in values.items():
            set_committed_value(obj, key, value)
        return
    state.dict.update(values)  # what ``set_committed_value`` would set; committed with the rest just below
    commit_all(state.dict, session.identity_map)
