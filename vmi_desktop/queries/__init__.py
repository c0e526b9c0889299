"""Query objects that return pages of rows for tables: SQL lives here, never in widgets.

No Qt import in this package: the queries are plain SQLAlchemy and can be
used (and tested) from the command line, exports and benchmarks.
"""

from __future__ import annotations

from vmi_desktop.queries.audit import AuditQuery
from vmi_desktop.queries.base import Column, PageRequest, Row, TableQuery
from vmi_desktop.queries.catalog import AgreementsQuery, LocationsQuery, SkusQuery, VendorsQuery
from vmi_desktop.queries.stock import StockQuery

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
