"""Declarative base, shared column types and enum helpers for every entity."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum, Float, Index, Integer, MetaData, Numeric, TypeDecorator, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import TextClause

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExactDecimal(TypeDecorator[Decimal]):
    """A decimal stored exactly on both engines: ``NUMERIC(p, s)`` on PostgreSQL, integer units of
    10^-s on SQLite (whose NUMERIC affinity would otherwise keep fractions as binary floats).

    The declared column type stays ``NUMERIC(p, s)`` on SQLite too; NUMERIC affinity keeps integers
    as INTEGER, so raw values there are thousandths (quantities) or ten-thousandths (money). Values
    with more than ``s`` decimals, beyond the precision, or not finite are refused when bound.

    Sums and differences of columns of one scale stay exact and keep this type; a product or
    quotient of two exact decimals has no exact SQL form across engines and is refused: compute it
    in Python or with ``db.sqlfuncs.as_float`` for display figures.
    """

    impl = Numeric
    cache_ok = True

    class Comparator(TypeDecorator.Comparator[Decimal], Numeric.Comparator[Decimal]):
        """Arithmetic typing: + and - keep the scale; * and / only by plain numbers."""

        def _adapt_expression(self, op: Any, other_comparator: Any) -> tuple[Any, Any]:
            other = other_comparator.type
            mine = self.type
            assert isinstance(mine, ExactDecimal)
            if op in (operators.add, operators.sub):
                if isinstance(other, ExactDecimal) and other.scale != mine.scale:
                    raise TypeError(f"adding decimals of scale {mine.scale} and {other.scale} in SQL")
                return op, mine
            if op in (operators.mul, operators.truediv, operators.floordiv, operators.mod):
                if isinstance(other, ExactDecimal) or op is not operators.mul:
                    raise TypeError(
                        "multiplying or dividing exact decimals in SQL differs between engines; "
                        "use vmi_desktop.db.sqlfuncs.as_float or compute in Python"
                    )
                return op, mine
            return op, mine

    comparator_factory = Comparator

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self.quantum = Decimal(1).scaleb(-scale)
        #: Exclusive bound of the absolute value the column holds.
        self.limit = Decimal(10) ** (precision - scale)

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_ScaledInteger(self.precision, self.scale))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        if op in (operators.mul, operators.truediv, operators.floordiv, operators.mod):
            return Integer() if isinstance(value, int) else Numeric()
        return self

    def exact(self, value: Any) -> Decimal:
        """``value`` as a Decimal this column holds exactly, or ``ValueError``/``TypeError``."""
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"{value!r} is not a Decimal or int (floats are never stored)")
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        if number != number.quantize(self.quantum, rounding=ROUND_DOWN) or abs(number) >= self.limit:
            raise ValueError(f"{value} does not fit NUMERIC({self.precision}, {self.scale})")
        return number

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = self.exact(value)
        if dialect.name == "sqlite":
            return int(number.scaleb(self.scale))
        return number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, int):
                return Decimal(value).scaleb(-self.scale)
            # an aggregate such as avg() gives a float of units
            return Decimal(repr(float(value))).scaleb(-self.scale).quantize(self.quantum, rounding=ROUND_HALF_EVEN)
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.scale:
            return number.quantize(self.quantum, rounding=ROUND_HALF_EVEN)
        return number

    def copy(self, **kw: Any) -> ExactDecimal:
        return ExactDecimal(self.precision, self.scale)


class StoredExactDecimal(ExactDecimal):
    """An ``ExactDecimal`` read in bulk from a plain column or a sum of one (never an average or quotient).

    Such a value already has the column's scale: PostgreSQL's NUMERIC(p, s) hands over a Decimal of
    exactly ``s`` places and SQLite an integer of units of 10^-s, so the general checks of
    ``process_result_value`` (about half the reorder run's client time over a million pairs) are
    skipped: no conversion on PostgreSQL, one ``scaleb`` on SQLite. Select a column with
    ``type_coerce(column, StoredQuantity)``; binding is unchanged.
    """

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return None
        general = super().result_processor(dialect, coltype)
        exponent = -self.scale

        def process(value: Any) -> Decimal | None:
            if type(value) is int:
                return Decimal(value).scaleb(exponent)
            return general(value) if general is not None else value

        return process

    def copy(self, **kw: Any) -> StoredExactDecimal:
        return StoredExactDecimal(self.precision, self.scale)


class _ScaledInteger(BigInteger):
    """SQLite storage of an ``ExactDecimal``: an integer, declared ``NUMERIC(p, s)`` in DDL."""

    __visit_name__ = "scaled_integer"

    def __init__(self, precision: int, scale: int) -> None:
        self.precision = precision
        self.scale = scale


@compiles(_ScaledInteger, "sqlite")
def _compile_scaled_integer(element: _ScaledInteger, compiler: Any, **kw: Any) -> str:
    return f"NUMERIC({element.precision}, {element.scale})"


#: Partial indexes whose PostgreSQL predicate is not attached yet (``partial_index``).
_POSTGRESQL_PENDING: list[tuple[Index, TextClause]] = []


def partial_index(name: str, *expressions: Any, where: str | TextClause, unique: bool = False) -> Index:
    """An index over the rows ``where`` holds, partial on both engines.

    The SQLite predicate is given at once; the PostgreSQL one is attached by ``use_postgresql_options``
    once PostgreSQL is in use: a ``postgresql_*`` keyword makes SQLAlchemy import that dialect (its
    drivers' modules, asyncpg's included) to check it, about 80 ms of every start on SQLite.
    """
    predicate = text(where) if isinstance(where, str) else where
    index = Index(name, *expressions, unique=unique, sqlite_where=predicate)
    _POSTGRESQL_PENDING.append((index, predicate))
    return index


def use_postgresql_options() -> None:
    """Attach the PostgreSQL predicates of the partial indexes (idempotent; cheap once done).

    Called when a PostgreSQL database is opened (``db.create_database``), by the migrations on
    PostgreSQL, and before any ``CREATE INDEX`` is compiled for PostgreSQL.
    """
    while _POSTGRESQL_PENDING:
        index, predicate = _POSTGRESQL_PENDING.pop()
        index.dialect_kwargs["postgresql_where"] = predicate


@compiles(CreateIndex, "postgresql")
def _compile_create_index_postgresql(element: CreateIndex, compiler: Any, **kw: Any) -> str:
    use_postgresql_options()
    return str(compiler.visit_create_index(element, **kw))


class RatioType(TypeDecorator[Decimal]):
    """A ratio such as an SLA fill rate (0..1, 4 decimals): compared, never summed.

    SQLite stores it as REAL (a 4-decimal value round-trips exactly through a double); PostgreSQL as
    ``NUMERIC(6, 4)``. Values come back as Decimals quantized to 4 decimals.
    """

    impl = Numeric
    cache_ok = True
    quantum = Decimal("0.0001")

    def __init__(self) -> None:
        super().__init__(6, 4, asdecimal=True)

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_RealNumeric())
        return dialect.type_descriptor(Numeric(6, 4, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = Decimal(value)
        if not number.is_finite() or number != number.quantize(self.quantum) or abs(number) >= 100:
            raise ValueError(f"{value!r} is not a ratio with at most 4 decimals")
        return float(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(self.quantum)


class _RealNumeric(Float[float]):
    """SQLite storage of a ratio: a double, declared ``NUMERIC(6, 4)`` in DDL."""

    __visit_name__ = "real_numeric"


@compiles(_RealNumeric, "sqlite")
def _compile_real_numeric(element: _RealNumeric, compiler: Any, **kw: Any) -> str:
    return "NUMERIC(6, 4)"


#: Quantities: 3 decimals, as the wire contract allows; |value| < 10^15.
Quantity = ExactDecimal(18, 3)
#: A quantity column read in bulk as stored (see ``StoredExactDecimal``).
StoredQuantity = StoredExactDecimal(18, 3)
#: Money: 4 decimals for unit prices; |value| < 10^14.
Money = ExactDecimal(18, 4)
#: Ratios such as an SLA fill rate (0..1).
Ratio = RatioType()

QTY_QUANTUM = Decimal("0.001")


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every timestamp we store is UTC."""
    return datetime.now(UTC)


#: A UTC timestamp as SQLite's ``DATETIME`` text holds it (what ``isoformat(" ", "microseconds")`` writes).
_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zones; without this, values read back would be naive
    and comparisons with aware values would fail.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def bind_processor(self, dialect: Dialect) -> Any:
        """On SQLite, straight to the text SQLite's ``DATETIME`` stores (``2026-12-01 08:30:00.000000``).

        The same text as ``process_bind_param`` followed by the dialect's own processor (which formats
        seven fields through a dict), in one step: bulk writes bind tens of thousands of timestamps.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        convert = self.process_bind_param

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is UTC:  # isoformat(" ", "microseconds") without its "+00:00", a third faster
                return _TEXT % (
                    value.year,
                    value.month,
                    value.day,
                    value.hour,
                    value.minute,
                    value.second,
                    value.microsecond,
                )
            value = convert(value, dialect)
            assert value is not None
            return value.isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing ``.value``."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Base of every entity; constraint names follow one convention for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class VersionedMixin:
    """Optimistic locking plus who-changed-it for rows people edit.

    A stale write raises ``StaleDataError``; the UI turns that into
    "changed by X at T" and reloads instead of overwriting silently.
    """

    version: Mapped[int] = mapped_column(nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


#: 64-bit ids for tables that grow without bound (SQLite needs INTEGER for rowid aliasing).
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
