"""Export and print what a table shows: every row the filters match, off the UI thread, with progress.

A page describes its table as an ``ExportSource``: the visible columns' titles (in the order the
user arranged them) and a function that yields every matching row, run on the task runner with its
own database session. ``TableExporter`` asks for a file (.csv or .xlsx), writes it on the runner
with a cancellable progress dialog, and prints through ``QPrintPreviewDialog`` (or straight to a
PDF file). Built once here; ``TablePage`` and the list pages hand it their models' sources.

The file dialog, the progress dialog and the printing classes are imported when first used: every
table page builds an exporter, and the start page's table is painted before any of them is needed
(``ui.startup``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, QMarginsF, QObject, QPoint, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from vmi_desktop.exporting import FORMATS, Cell, write_table
from vmi_desktop.models import utcnow
from vmi_desktop.ui.numbers import format_count, format_decimal
from vmi_desktop.ui.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QTextDocument
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
    from PySide6.QtWidgets import QProgressDialog

log = logging.getLogger(__name__)

#: A print is for reading: beyond this many rows it says so and points to the export.
PRINT_LIMIT = 2000


@dataclass(frozen=True)
class ExportSource:
    """One table as exported: its title, the visible columns, and every matching row.

    ``rows`` runs on a worker thread and opens its own session; ``total`` (when known) drives the
    progress bar; ``description`` names the filters applied (printed under the title).
    """

    title: str
    headers: Sequence[str]
    rows: Callable[[], Iterator[Sequence[Cell]]]
    total: int | None = None
    description: str = ""


def visible_columns(header: QHeaderView) -> list[int]:
    """Logical column numbers in the order the user sees them, hidden ones left out."""
    return [
        header.logicalIndex(visual)
        for visual in range(header.count())
        if not header.isSectionHidden(header.logicalIndex(visual))
    ]


def model_source(model: QAbstractItemModel, header: QHeaderView, title: str, description: str = "") -> ExportSource:
    """A small table that is wholly in memory (a dashboard list, an order's lines): its shown text."""
    columns = visible_columns(header)
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in columns]
    rows = [
        [str(model.index(r, c).data(Qt.ItemDataRole.DisplayRole) or "") for c in columns]
        for r in range(model.rowCount())
    ]

    def all_rows() -> Iterator[Sequence[Cell]]:
        yield from rows

    return ExportSource(title, headers, all_rows, total=len(rows), description=description)


def slug(title: str) -> str:
    """A file name from a table title ("Purchase orders" -> "purchase-orders")."""
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split()) or "table"


def _print_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def print_html(source: ExportSource, rows: Sequence[Sequence[Cell]], *, more: bool) -> str:
    """The printed page: title, filters, when, and the rows as a table (numbers right-aligned)."""
    import html

    when = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<html><body style='font-family: sans-serif; font-size: 8pt;'>",
        f"<h3 style='margin: 0'>{html.escape(source.title)}</h3>",
        f"<p style='color: #555; margin: 2px 0 6px 0'>{html.escape(source.description or 'all rows')} · "
        f"{format_count(len(rows))} row{'s' if len(rows) != 1 else ''} · printed {when}",
    ]
    if more:
        parts.append(f" · only the first {format_count(len(rows))} are printed; export the table for every row")
    parts.append("</p><table border='1' cellspacing='0' cellpadding='2' width='100%'><thead><tr>")
    parts += [f"<th bgcolor='#e8e8e8' align='left'>{html.escape(h)}</th>" for h in source.headers]
    parts.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for value in row:
            align = " align='right'" if isinstance(value, Decimal | int) and not isinstance(value, bool) else ""
            cells.append(f"<td{align}>{html.escape(_print_text(value))}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></body></html>")
    return "".join(parts)


def _configure(printer: QPrinter) -> None:
    from PySide6.QtGui import QPageLayout, QPageSize

    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageMargins(QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)


class TableExporter(QObject):
    """Export (CSV/XLSX) and print one table's source; the work runs on the task runner."""

    #: a file was written: its path and the number of rows
    exported = Signal(str, int)
    #: a sentence for the page (refusals, failures, cancellation)
    message = Signal(str)
    #: the rows to print arrived and the document is ready (tests print it to a PDF)
    document_ready = Signal(object)

    def __init__(self, runner: TaskRunner, source: Callable[[], ExportSource], parent: QWidget) -> None:
        super().__init__(parent)
        self.runner = runner
        self.source = source
        self.widget = parent
        self.task: TaskHandle | None = None
        self.progress: QProgressDialog | None = None
        self.preview: QPrintPreviewDialog | None = None
        self.document: QTextDocument | None = None

    # -- export ----------------------------------------------------------------------------------

    def ask_and_export(self) -> None:
        """Ask for a .csv or .xlsx file, then write it (the filters of the moment apply)."""
        from PySide6.QtWidgets import QFileDialog

        source = self.source()
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder or ".") / f"{slug(source.title)}.xlsx")
        filters = ";;".join([FORMATS[".xlsx"], FORMATS[".csv"]])
        path, chosen = QFileDialog.getSaveFileName(self.widget, f"Export {source.title}", suggested, filters)
        if not path:
            return
        if not Path(path).suffix:
            path += ".csv" if chosen == FORMATS[".csv"] else ".xlsx"
        self.export_to(path, source)

    def export_to(self, path: str | Path, source: ExportSource | None = None) -> TaskHandle | None:
        """Write every matching row to ``path`` off the UI thread, with a cancellable progress dialog."""
        if self.task is not None:
            self.message.emit("An export of this table is still running.")
            return None
        src = source or self.source()
        target = Path(path)
        total = src.total

        def work(report: Callable[[float, str], None]) -> int:
            def on_row(n: int) -> None:
                report(n / total if total else 0.0, f"{format_count(n)} rows written")

            report(0.0, "reading rows")
            return write_table(target, src.headers, src.rows(), title=src.title, on_row=on_row)

        def done(count: int) -> None:
            self.exported.emit(str(target), count)
            self.message.emit(f"Exported {format_count(count)} row{'s' if count != 1 else ''} to {target.name}.")

        def failed(exc: BaseException) -> None:
            log.warning("export to %s failed: %s", target, exc)
            self.message.emit(f"Export failed: {exc}")

        def cancelled() -> None:
            target.unlink(missing_ok=True)
            self.message.emit("Export cancelled; no file was kept.")

        self._show_progress(f"Exporting {src.title}…", total)
        self.task = self.runner.run(
            work,
            on_result=done,
            on_error=failed,
            on_progress=self._on_progress,
            on_cancelled=cancelled,
            on_finished=self._finished,
            owner=self,
        )
        return self.task

    def _show_progress(self, label: str, total: int | None) -> None:
        from PySide6.QtWidgets import QProgressDialog

        dialog = QProgressDialog(label, "Cancel", 0, 100 if total else 0, self.widget)
        dialog.setObjectName("exportProgress")
        dialog.setWindowTitle("Export")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(lambda: self.task.cancel() if self.task is not None else None)
        dialog.setValue(0)
        self.progress = dialog

    def _on_progress(self, fraction: float, text: str) -> None:
        if self.progress is not None:
            self.progress.setLabelText(text)
            if self.progress.maximum():
                self.progress.setValue(min(99, int(fraction * 100)))

    def _finished(self) -> None:
        self.task = None
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    # -- print -----------------------------------------------------------------------------------

    def fetch_for_print(self, then: Callable[[QTextDocument], Any]) -> TaskHandle | None:
        """Read up to ``PRINT_LIMIT`` rows off the UI thread, build the document, hand it to ``then``."""
        if self.task is not None:
            self.message.emit("An export of this table is still running.")
            return None
        src = self.source()

        def work(report: Callable[[float, str], None]) -> tuple[list[Sequence[Cell]], bool]:
            rows: list[Sequence[Cell]] = []
            for row in src.rows():
                if len(rows) == PRINT_LIMIT:
                    return rows, True
                rows.append(row)
                if len(rows) % 500 == 0:
                    report(len(rows) / PRINT_LIMIT, f"{format_count(len(rows))} rows read")
            return rows, False

        def done(result: tuple[list[Sequence[Cell]], bool]) -> None:
            from PySide6.QtGui import QTextDocument

            rows, more = result
            document = QTextDocument(self)
            document.setHtml(print_html(src, rows, more=more))
            self.document = document
            self.document_ready.emit(document)
            then(document)

        self._show_progress(f"Preparing {src.title} for printing…", PRINT_LIMIT)
        self.task = self.runner.run(
            work,
            on_result=done,
            on_error=lambda exc: self.message.emit(f"Printing failed: {exc}"),
            on_progress=self._on_progress,
            on_finished=self._finished,
            owner=self,
        )
        return self.task

    def print_preview(self) -> None:
        """The print preview (page setup and printer choice are Qt's own dialog)."""

        def show(document: QTextDocument) -> None:
            from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            _configure(printer)
            preview = QPrintPreviewDialog(printer, self.widget)
            preview.setObjectName("printPreview")
            preview.paintRequested.connect(document.print_)
            preview.resize(1000, 720)
            self.preview = preview
            preview.open()

        self.fetch_for_print(show)

    def print_to_pdf(self, path: str | Path) -> TaskHandle | None:
        """Print straight to a PDF file (no dialog): what a test, or a scripted report, uses."""

        def write(document: QTextDocument) -> None:
            from PySide6.QtPrintSupport import QPrinter

            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            _configure(printer)
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(path))
            document.print_(printer)
            self.exported.emit(str(path), 0)

        return self.fetch_for_print(write)


def install_export_menu(view: QAbstractItemView, title: Callable[[], str], runner: TaskRunner) -> TableExporter:
    """A right-click Export…/Print… on a small in-memory table (order lines, dashboard lists, sync)."""
    model = view.model()
    header = view.horizontalHeader() if isinstance(view, QTableView) else None
    assert header is not None, "only table views export"
    exporter = TableExporter(runner, lambda: model_source(model, header, title()), view)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def menu(pos: QPoint) -> None:
        popup = QMenu(view)
        popup.addAction("Export table…", exporter.ask_and_export)
        popup.addAction("Print table…", exporter.print_preview)
        popup.popup(view.viewport().mapToGlobal(pos))

    view.customContextMenuRequested.connect(menu)
    return exporter
