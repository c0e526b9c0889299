"""Text search and index choice in SQL, per dialect: what SQLAlchemy renders the same for both engines
but costs SQLite far more than it must.

- ``contains_text``: a case-insensitive substring test. SQLAlchemy renders ``ilike`` on SQLite as
  ``lower(x) LIKE lower(y)``: a new string per row for nothing, since SQLite's LIKE already ignores
  case exactly as far as its ``lower()`` folds it (ASCII, or all of Unicode with the ICU extension,
  which replaces both). The same rows, in half the time of a search that reads every SKU.
- ``sqlite_index``: SQLite's ``INDEXED BY`` through ``Select.with_hint(..., "sqlite")``, which
  SQLAlchemy's SQLite compiler does not render. For a plan SQLite's planner does not find by itself
  (it costs a covering index by its declared column widths and prefers a narrow one plus a row
  read per SKU); PostgreSQL plans without it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, literal
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType


class ContainsText(ColumnElement[bool]):
    """``expr`` contains ``pattern`` (a LIKE pattern with ``\\`` as its escape), ignoring case."""

    __visit_name__ = "vmi_contains_text"
    # untyped: a Boolean-typed term gets "= 1" appended on SQLite (see ``sqlfuncs.flag``)
    type = NullType()  # type: ignore[assignment]
    inherit_cache = True
    _traverse_internals = [
        ("expr", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, expr: Any, pattern: str) -> None:
        self.expr = expr
        self.pattern = literal(pattern)


@compiles(ContainsText)
def _contains_text(element: ContainsText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.expr.ilike(element.pattern, escape="\\"), **kw)


@compiles(ContainsText, "sqlite")
def _contains_text_sqlite(element: ContainsText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.expr.like(element.pattern, escape="\\"), **kw)


def contains_text(expr: Any, pattern: str) -> ColumnElement[bool]:
    """``expr`` matches the LIKE ``pattern`` (escape ``\\``) whatever the case, on both engines."""
    return ContainsText(expr, pattern)


def _from_hint_text(self: SQLiteCompiler, table: Any, text: str | None) -> str | None:
    return text


# SQLite's FROM hints are "INDEXED BY <index>" after the table (and its alias); the base compiler
# renders none. Only hints given for the "sqlite" dialect reach this, and only ``sqlite_index`` gives any.
SQLiteCompiler.get_from_hint_text = _from_hint_text  # type: ignore[method-assign,assignment]


def sqlite_index(stmt: Select[Any], table: Any, index: str) -> Select[Any]:
    """``stmt`` reading ``table`` (a table, alias or entity) through ``index`` on SQLite (a plan the
    index must be able to serve: SQLite refuses the statement otherwise); ignored on PostgreSQL."""
    return stmt.with_hint(table, f"INDEXED BY {index}", "sqlite")
