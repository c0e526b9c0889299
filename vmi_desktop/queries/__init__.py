"""Query objects that return pages of rows for tables: SQL lives here, never in widgets.

No Qt import in this package: the queries are plain SQLAlchemy and can be
used (and tested) from the command line, exports and benchmarks.

The names below are imported from their modules at first use (PEP 562): the window's start imports
``queries.worklist`` and ``queries.catalog`` only, not the stock and audit queries (their module-level
statements, built before the first paint, were of no use to it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmi_desktop.queries.audit import AuditQuery
    from vmi_desktop.queries.base import Column, PageRequest, Row, TableQuery
    from vmi_desktop.queries.catalog import AgreementsQuery, LocationsQuery, SkusQuery, VendorsQuery
    from vmi_desktop.queries.stock import StockQuery

#: Where each name of the package is defined.
_MODULES = {
    "AgreementsQuery": "catalog",
    "AuditQuery": "audit",
    "Column": "base",
    "LocationsQuery": "catalog",
    "PageRequest": "base",
    "Row": "base",
    "SkusQuery": "catalog",
    "StockQuery": "stock",
    "TableQuery": "base",
    "VendorsQuery": "catalog",
}

__all__ = [
    "AgreementsQuery",
    "AuditQuery",
    "Column",
    "LocationsQuery",
    "PageRequest",
    "Row",
    "SkusQuery",
    "StockQuery",
    "TableQuery",
    "VendorsQuery",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
