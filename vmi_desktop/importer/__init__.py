"""Import and export of master data and history from CSV and XLSX files, for the parts manager.

The public API (the CLI, File > Import... and the first-run wizard use it)::

    plan = importer.dry_run(db, actor, "agreements", Path("agreements.xlsx"))   # writes nothing
    plan.rows            # every row's fate: create, update, unchanged, rejected (with RowErrors)
    plan = importer.apply(db, actor, "agreements", path)                         # all or nothing
    plan = importer.apply(db, actor, "agreements", path, good_rows_only=True, rejects_path=Path("rejects.csv"))
    importer.export(db, actor, "agreements", Path("agreements.xlsx"))

Entities: ``skus``, ``locations``, ``vendors``, ``agreements`` (with thresholds; a file of vendor,
sku, location, min_qty, max_qty updates thresholds only), ``stock`` (opening stock: on hand per
SKU x location, posted as adjustments), ``counts`` (cycle counts), ``consumption`` (history).
Rows are validated with the catalog's field parsers (``catalog_service.parse_field``) and the
ledger's rules; master data is written set-based (executemany, chunks), ledger rows through the
ledger's postings so that on hand always equals the sum of its movements. Importing the same file
twice changes nothing the second time, and an export of any entity imports back unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from vmi_desktop import audit
from vmi_desktop.db import Database, UnitOfWork
from vmi_desktop.errors import ValidationError
from vmi_desktop.importer.plan import (
    CREATE,
    REJECTED,
    UNCHANGED,
    UPDATE,
    Entity,
    ImportPlan,
    ImportRejected,
    Progress,
    RowError,
    RowFate,
)
from vmi_desktop.importer.tables import Table, read_table, write_table
from vmi_desktop.scope import Actor, require

__all__ = [
    "CREATE",
    "ENTITIES",
    "REJECTED",
    "UNCHANGED",
    "UPDATE",
    "ImportPlan",
    "ImportRejected",
    "RowError",
    "RowFate",
    "apply",
    "dry_run",
    "entity",
    "export",
    "write_template",
]


def _registry() -> dict[str, Entity]:
    from vmi_desktop.importer import catalog, history

    entities: list[Entity] = [*catalog.ENTITIES, *history.ENTITIES]
    return {e.name: e for e in entities}


ENTITIES: tuple[str, ...] = ("skus", "locations", "vendors", "agreements", "stock", "counts", "consumption")


def entity(name: str) -> Entity:
    """The entity called ``name`` (``ValidationError`` listing the known ones)."""
    found = _registry().get(name.strip().lower())
    if found is None:
        raise ValidationError(f"unknown entity {name!r}; one of {', '.join(ENTITIES)}")
    return found


def _never(fraction: float, text: str) -> None:
    return None


def _check_columns(spec: Entity, table: Table) -> list[RowError]:
    errors = []
    known = set(spec.columns)
    for column in table.columns:
        if column and column not in known:
            errors.append(
                RowError(table.sheet, 1, column, f"not a column of {spec.name}; known: {', '.join(spec.columns)}")
            )
    if len(set(table.columns)) != len(table.columns):
        errors.append(RowError(table.sheet, 1, "", "a column is named twice"))
    for column in spec.required:
        if column not in table.columns:
            errors.append(RowError(table.sheet, 1, column, f"missing: every {spec.name} row needs it"))
    return errors


def _plan(uow: UnitOfWork, actor: Actor, spec: Entity, path: Path, report: Progress) -> tuple[ImportPlan, Any]:
    require(actor, spec.action)
    data = path.read_bytes() if path.is_file() else b""
    table = read_table(path)
    plan = ImportPlan(
        entity=spec.name,
        source=path.name,
        sheet=table.sheet,
        sha256=hashlib.sha256(data).hexdigest(),
        columns=table.columns,
        rows=[],
        file_errors=_check_columns(spec, table),
    )
    if plan.file_errors:
        return plan, None
    rows, writer = spec.plan(uow.session, actor, table, report)
    plan.rows = rows
    return plan, writer


def dry_run(db: Database, actor: Actor, name: str, path: Path, *, progress: Progress | None = None) -> ImportPlan:
    """Every row's fate if ``path`` were imported now; nothing is written (the transaction rolls back)."""
    spec = entity(name)
    with db.sessions() as session:
        try:
            plan, _writer = _plan(UnitOfWork(session), actor, spec, path, progress or _never)
        finally:
            session.rollback()
    return plan


def apply(
    db: Database,
    actor: Actor,
    name: str,
    path: Path,
    *,
    good_rows_only: bool = False,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Import ``path`` in one transaction: all rows, or (``good_rows_only``) the good ones.

    Without ``good_rows_only`` a single refused row writes nothing and raises ``ImportRejected``.
    With it, refused rows are written to ``rejects_path`` (their cells plus an ``error`` column) and
    the rest is imported. ``progress(fraction, text)`` may raise to cancel: nothing is written then.
    """
    spec = entity(name)
    report = progress or _never
    with db.unit_of_work() as uow:
        plan, writer = _plan(uow, actor, spec, path, report)
        if plan.file_errors or (plan.rejected and not good_rows_only):
            raise ImportRejected(plan)
        accepted = {r.row for r in plan.rows if r.action in (CREATE, UPDATE)}
        ids = writer(uow, accepted) if accepted and writer is not None else []
        report(1.0, "writing the audit entry")
        audit.record(
            uow.session,
            actor,
            f"import.{spec.name}",
            spec.name,
            "",
            file=path.name,
            sha256=plan.sha256,
            created=plan.count(CREATE),
            updated=plan.count(UPDATE),
            unchanged=plan.count(UNCHANGED),
            rejected=plan.count(REJECTED),
            ids=ids[:1000],
        )
        plan.applied = True
    if plan.rejected and rejects_path is not None:
        write_rejects(plan, rejects_path)
    return plan


def write_rejects(plan: ImportPlan, path: Path) -> int:
    """The refused rows with their cells and an ``error`` column, as CSV or XLSX."""
    rows = [
        (*r.cells, "; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in r.errors))
        for r in plan.rejected
    ]
    plan.rejects_file = str(path)
    return write_table(path, f"{plan.entity} rejects", [*plan.columns, "error"], rows)


def export(db: Database, actor: Actor, name: str, path: Path) -> int:
    """Write every row of ``name`` that ``actor`` may see; the file imports back unchanged."""
    spec = entity(name)
    with db.transaction() as session:
        return write_table(path, spec.name, spec.columns, spec.export(session, actor))


def write_template(name: str, path: Path) -> None:
    """An empty file with the entity's columns (a starting point to fill in)."""
    spec = entity(name)
    write_table(path, spec.name, spec.columns, [])
