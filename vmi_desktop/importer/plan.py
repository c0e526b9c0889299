"""What an import would do, row by row: the types shared by the entity importers and their callers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import ValidationError
from vmi_desktop.importer.tables import Table
from vmi_desktop.scope import Action, Actor

CREATE, UPDATE, UNCHANGED, REJECTED = "create", "update", "unchanged", "rejected"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RowError:
    """Why a row (or the file) is refused: sheet, row as the spreadsheet numbers it, column, message."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"sheet {self.sheet}, row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class RowFate:
    """One data row's fate: create, update, unchanged or rejected (with its errors), and what changes."""

    row: int
    key: str
    action: str
    detail: str = ""
    errors: list[RowError] = field(default_factory=list)
    #: the original cells (for the rejects file)
    cells: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        return self.action != REJECTED


@dataclass
class ImportPlan:
    """A dry run's answer, and what ``apply`` did: every row's fate, file-level errors, counts."""

    entity: str
    source: str
    sheet: str
    sha256: str
    columns: tuple[str, ...]
    rows: list[RowFate]
    file_errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    rejects_file: str = ""

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def rejected(self) -> list[RowFate]:
        return [r for r in self.rows if r.action == REJECTED]

    @property
    def errors(self) -> list[RowError]:
        """File-level errors first, then every row's, in row order."""
        return [*self.file_errors, *(e for r in self.rows for e in r.errors)]

    @property
    def ok(self) -> bool:
        """Nothing refused: the whole file can be applied."""
        return not self.file_errors and not self.rejected

    def summary(self) -> str:
        """One sentence: how many rows are created, updated, unchanged and rejected."""
        parts = [
            f"{self.count(CREATE)} to create",
            f"{self.count(UPDATE)} to update",
            f"{self.count(UNCHANGED)} unchanged",
            f"{self.count(REJECTED)} rejected",
        ]
        if self.applied:
            parts[:2] = [f"{self.count(CREATE)} created", f"{self.count(UPDATE)} updated"]
        text = f"{self.entity} from {self.source}: " + ", ".join(parts)
        if self.file_errors:
            text += f"; {len(self.file_errors)} problem(s) with the file itself"
        return text + "."


class ImportRejected(ValidationError):
    """A file with refused rows applied all or nothing: nothing was written; ``plan`` says why."""

    def __init__(self, plan: ImportPlan) -> None:
        first = plan.errors[:3]
        more = len(plan.errors) - len(first)
        text = "; ".join(str(e) for e in first) + (f"; and {more} more" if more > 0 else "")
        super().__init__(f"nothing was imported: {text}")
        self.plan = plan


Writer = Callable[[UnitOfWork, set[int]], list[int]]
"""Writes the accepted rows (by row number) in the caller's unit of work; returns the ids written."""


class Entity(Protocol):
    """One importable and exportable entity (``skus``, ``agreements``, ``consumption``...)."""

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def columns(self) -> tuple[str, ...]: ...
    @property
    def required(self) -> tuple[str, ...]:
        """Columns the file must have."""
        ...

    @property
    def action(self) -> Action: ...

    def plan(self, session: Session, actor: Actor, table: Table, report: Progress) -> tuple[list[RowFate], Writer]:
        """Every row's fate against the database as it is, and the writer for the accepted ones."""
        ...

    def export(self, session: Session, actor: Actor) -> Iterator[tuple[Any, ...]]:
        """The rows an export writes, in ``columns`` order (what ``actor`` may see)."""
        ...
