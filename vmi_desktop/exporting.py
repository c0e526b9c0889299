"""Writing what a table shows to CSV or XLSX: every matching row, values typed, no Qt.

The UI hands the headers of the visible columns and an iterator over the whole filtered result
(``TableQuery.iter_rows`` pages it by keyset, so a million rows never sit in memory at once); the
writer streams them out. CSV gets plain, locale-free values (``1234.5``, ISO dates) so that any
program reads them back exactly; XLSX gets real numbers and dates (openpyxl's write-only mode).
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from vmi_desktop.errors import ValidationError
from vmi_desktop.queries.base import Column, Kind

#: The formats a table exports to, by file suffix.
FORMATS = {".csv": "CSV (*.csv)", ".xlsx": "Excel workbook (*.xlsx)"}

Cell = str | int | Decimal | datetime | date | None


def export_value(column: Column, value: Any) -> Cell:
    """A cell as it is exported: numbers stay numbers, enums and flags read as on screen."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, enum.Enum):
        return str(value.value).replace("_", " ")
    if isinstance(value, Decimal):
        return value.normalize() if column.kind is Kind.QTY else value
    if isinstance(value, datetime | date | int | str):
        return value
    return str(value)


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value.tzinfo else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_value(sheet: Any, value: Cell) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones: UTC, as the headers say
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text from the data is never a formula
        return cell
    return value


def write_table(
    path: str | Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str = "Export",
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Write ``headers`` and ``rows`` to ``path`` (.csv or .xlsx by suffix); returns the row count.

    ``on_row(n)`` is called every 500 rows (progress, and the place a cancel raises).
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(f"cannot export to {target.name}: choose a .csv or .xlsx file")
    if suffix == ".csv":
        return _write_csv(target, headers, rows, on_row)
    return _write_xlsx(target, headers, rows, title, on_row)


def _write_csv(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[Cell]], on_row: Callable[[int], None] | None
) -> int:
    count = 0
    # utf-8 with a byte-order mark: spreadsheet programs then read accents right; csv readers skip it
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_text(v) for v in row])
            count += 1
            if on_row is not None and count % 500 == 0:
                on_row(count)
    return count


def _write_xlsx(
    path: Path,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    title: str,
    on_row: Callable[[int], None] | None,
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    for i, header in enumerate(headers):
        sheet.column_dimensions[_column_letter(i)].width = max(10, min(50, len(header) + 4))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(sheet, v) for v in row])
        count += 1
        if on_row is not None and count % 500 == 0:
            on_row(count)
    book.save(str(path))
    return count


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return (cleaned or "Export")[:31]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))
