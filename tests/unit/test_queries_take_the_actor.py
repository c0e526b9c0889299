"""Every read of the database that returns rows takes the actor (and so goes through ``vmi_desktop.scope``).

The walk is over the modules whose functions pages, exports, the CLI and the metrics read through; a
new function there that reads a ``Session`` or ``Database`` without an ``actor`` fails this test, as
does a table query that does not restrict rows for a supplier.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import vmi_desktop.queries
from vmi_desktop.queries.base import TableQuery

MODULES = [
    *(
        f"vmi_desktop.queries.{m.name}"
        for m in pkgutil.iter_modules(vmi_desktop.queries.__path__)
        if not m.name.startswith("_")
    ),
    "vmi_desktop.replenishment.metrics",
    "vmi_desktop.sync.status",
    "vmi_desktop.sync.inbox",
]

#: Functions that take the database without returning rows of it, each with the reason.
NOT_ROW_QUERIES = {
    "vmi_desktop.queries.maintenance.refresh_planner_statistics": "runs ANALYZE; returns whether it ran",
    "vmi_desktop.queries.maintenance.statistics_are_stale": "reads SQLite's planner statistics, not app rows",
    "vmi_desktop.queries.maintenance.statistics_are_missing": "reads SQLite's planner statistics, not app rows",
    "vmi_desktop.queries.maintenance.statistics_have_drifted": "counts the stock table against SQLite's statistics",
    "vmi_desktop.sync.inbox.apply_page": "applies a vendor's events as that vendor's supplier actor (its own)",
}


def _reads_the_database(fn: object) -> bool:
    signature = inspect.signature(fn)  # type: ignore[arg-type]
    annotations = " ".join(str(p.annotation) for p in signature.parameters.values())
    return any(word in annotations for word in ("Session", "Database", "UnitOfWork"))


def _public_functions(module: ModuleType) -> list[tuple[str, object]]:
    return [
        (f"{module.__name__}.{name}", fn)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == module.__name__
    ]


def test_every_public_query_function_takes_the_actor() -> None:
    walked, missing = [], []
    for name in MODULES:
        for qualified, fn in _public_functions(importlib.import_module(name)):
            if not _reads_the_database(fn) or qualified in NOT_ROW_QUERIES:
                continue
            walked.append(qualified)
            if "actor" not in inspect.signature(fn).parameters:  # type: ignore[arg-type]
                missing.append(qualified)
    assert missing == []
    # the walk reached the functions the issue named
    for expected in (
        "vmi_desktop.queries.orders.agreement_skus",
        "vmi_desktop.queries.charts.thresholds",
        "vmi_desktop.sync.inbox.list_rejected",
        "vmi_desktop.sync.status.load_vendor_states",
        "vmi_desktop.replenishment.metrics.response_latency",
        "vmi_desktop.replenishment.metrics.sku_metrics",
    ):
        assert expected in walked
    assert len(walked) > 25


def _table_queries() -> list[type[TableQuery]]:
    for name in MODULES:
        importlib.import_module(name)
    found: list[type[TableQuery]] = []
    todo = list(TableQuery.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_table_query_scopes_its_rows_for_a_supplier() -> None:
    queries = _table_queries()
    assert {q.__name__ for q in queries} >= {"StockQuery", "AgreementsQuery", "AuditQuery", "SkusQuery"}

    def scoped(query: type[TableQuery]) -> bool:  # by itself or by the query it refines
        return any("scope" in vars(c) for c in query.__mro__ if c is not TableQuery and issubclass(c, TableQuery))

    unscoped = [q.__name__ for q in queries if not scoped(q)]
    assert unscoped == []
