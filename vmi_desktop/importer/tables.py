"""Reading and writing the tables of an import or export: CSV (UTF-8) and XLSX.

python-calamine reads XLSX (and XLS, ODS): fast on 100,000 rows, cells as Python values (numbers
as float, which ``quantities.to_decimal`` takes through their shortest repr, so ``3.1`` stays
``3.1``). openpyxl writes XLSX exports and templates (write-only mode, streamed). Rows keep the
number the spreadsheet shows (the header is row 1), so an error names the row a person sees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from vmi_desktop.errors import ValidationError

#: What a cell holds after reading: text, a number, a flag, a date or time, or nothing ("").
Cell = str | float | int | bool | date | datetime
READABLE = (".csv", ".xlsx", ".xlsm", ".xls", ".ods")
#: Above this, a number in XLSX is written as text (a double keeps 15 significant digits exactly).
_FLOAT_DIGITS = 15


@dataclass(frozen=True)
class Table:
    """One sheet: its name, the header (normalised column names) and the data rows with their numbers."""

    sheet: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Cell, ...]], ...]

    def values(self, row: tuple[Cell, ...]) -> dict[str, Cell]:
        return dict(zip(self.columns, row, strict=False))


def normalise(name: object) -> str:
    """A header cell as a column name: ``Min qty`` and ``min_qty`` are the same column."""
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _blank(cell: Cell) -> bool:
    return cell == "" or cell is None or (isinstance(cell, str) and not cell.strip())


def _table(sheet: str, raw: Iterable[Sequence[Any]]) -> Table:
    iterator = iter(raw)
    header: Sequence[Any] | None = None
    header_row = 0
    for number, values in enumerate(iterator, start=1):
        if any(not _blank(v) for v in values):
            header, header_row = values, number
            break
    if header is None:
        raise ValidationError(f"sheet {sheet} is empty: no header row")
    columns = tuple(normalise(h) for h in header)
    while columns and not columns[-1]:
        columns = columns[:-1]
    rows = []
    for number, values in enumerate(iterator, start=header_row + 1):
        cells = tuple("" if v is None else v for v in values)
        if all(_blank(c) for c in cells):
            continue
        rows.append((number, cells[: max(len(columns), 1)] + ("",) * (len(columns) - len(cells))))
    return Table(sheet, columns, tuple(rows))


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The first sheet (or ``sheet``) of an XLSX/XLS/ODS file, or a CSV file, as a ``Table``."""
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise ValidationError(f"{path.name}: imports read {', '.join(READABLE)} files, not {suffix or 'this kind'}")
    if not path.is_file():
        raise ValidationError(f"{path} does not exist or is not a file")
    if suffix == ".csv":
        return _read_csv(path)
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if not names:
            raise ValidationError(f"{path.name} has no sheets")
        name = sheet or names[0]
        if name not in names:
            raise ValidationError(f"{path.name} has no sheet {name!r}; its sheets: {', '.join(names)}")
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise ValidationError(f"{path.name} is not a readable spreadsheet: {exc}") from None
    return _table(name, rows)


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise ValidationError(f"{path.name} is not readable CSV: {exc}") from None
    return _table(path.stem, rows)


# -- writing ----------------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value != 0 else "0"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        digits = len(value.normalize().as_tuple().digits)
        return float(value) if digits <= _FLOAT_DIGITS else _csv_text(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")  # text: Excel has no time zones
    if isinstance(value, bool | int | float | date):
        return value
    return _csv_text(value)


def write_table(path: Path, sheet: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` under ``columns`` as CSV or XLSX (by the file's suffix); returns the rows written."""
    suffix = path.suffix.lower()
    count = 0
    tmp = path.with_name(f".{path.name}.partial")
    if suffix == ".csv":
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_csv_text(v) for v in row])
                count += 1
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        ws = workbook.create_sheet(sheet[:31])
        ws.append(list(columns))
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
            count += 1
        workbook.save(tmp)
    else:
        raise ValidationError(f"{path.name}: exports write .csv or .xlsx files, not {suffix or 'this kind'}")
    tmp.replace(path)
    return count


def iter_cells(table: Table) -> Iterator[tuple[int, dict[str, Cell]]]:
    """The data rows as (row number, column -> cell)."""
    for number, row in table.rows:
        yield number, table.values(row)
