"""A read-only table model that asks a query function for one page of rows at a time.

Rows arrive through ``canFetchMore``/``fetchMore`` as the view scrolls, so
a list of a million orders costs what the visible pages cost. Sorting is
pushed into SQL (the query function gets the sort key) and reloads from the
first page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView
from sqlalchemy.orm import Session

from vmi_desktop.db import Database
from vmi_desktop.ui.export import ExportSource

Index = QModelIndex | QPersistentModelIndex
#: fetch(session, sort_key, descending, offset, limit) -> rows
PageFetcher = Callable[[Session, str, bool, int, int], list[Any]]


@dataclass(frozen=True)
class Column:
    """One column: title, how to show a row, the SQL sort key (None = not sortable)."""

    title: str
    display: Callable[[Any], str]
    sort_key: str | None = None
    align_right: bool = False
    decorate: Callable[[Any], Any] | None = None
    foreground: Callable[[Any], Any] | None = None
    #: the value exported (a number, a date) when it is not the shown text
    export: Callable[[Any], Any] | None = None


class LazyRowsModel(QAbstractTableModel):
    """Rows from ``fetch`` in pages of ``page_size``; never all rows at once."""

    ROW_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(
        self,
        db: Database,
        columns: list[Column],
        fetch: PageFetcher,
        *,
        page_size: int = 200,
        sort_key: str = "created_at",
        descending: bool = True,
    ) -> None:
        super().__init__()
        self.db = db
        self.columns = columns
        self.fetch = fetch
        self.page_size = page_size
        self.sort_key = sort_key
        self.descending = descending
        self.rows: list[Any] = []
        self.exhausted = False
        #: Pages fetched since the last reload (tests check laziness with it).
        self.pages_fetched = 0
        self._busy = False

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
        if horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row = self.rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and col.decorate is not None:
            return col.decorate(row)
        if role == Qt.ItemDataRole.ForegroundRole and col.foreground is not None:
            return col.foreground(row)
        if role == self.ROW_ROLE:
            return row
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.exhausted and not self._busy

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        # Views ask for more while the model is being reset; that would nest an insert inside the reset.
        # ... and again from inside endInsertRows; one fetch at a time.
        if parent.isValid() or self.exhausted or self._busy:
            return
        self._busy = True
        try:
            with self.db.sessions() as session:
                page = self.fetch(session, self.sort_key, self.descending, len(self.rows), self.page_size)
            self.pages_fetched += 1
            if len(page) < self.page_size:
                self.exhausted = True
            if page:
                self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
                self.rows.extend(page)
                self.endInsertRows()
        finally:
            self._busy = False

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column].sort_key if 0 <= column < len(self.columns) else None
        if key is None:
            return
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # -- our API -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Drop loaded rows and fetch the first page again (after a filter, sort or change)."""
        self._busy = True
        try:
            self.beginResetModel()
            self.rows = []
            self.exhausted = False
            self.pages_fetched = 0
            self.endResetModel()
        finally:
            self._busy = False
        self.fetchMore()

    def find_row(self, matches: Callable[[Any], bool], max_pages: int = 5) -> int | None:
        """The index of the first loaded row that ``matches``, fetching up to ``max_pages`` more pages."""
        for _ in range(max_pages + 1):
            for i, row in enumerate(self.rows):
                if matches(row):
                    return i
            if not self.canFetchMore():
                return None
            self.fetchMore()
        return None

    def row(self, i: int) -> Any:
        """The row object behind view row ``i``."""
        return self.rows[i]

    def export_source(
        self, columns: list[int], title: str, description: str = "", *, fetch: PageFetcher | None = None
    ) -> ExportSource:
        """Every row the page's filter matches (``fetch`` bound to the filter of the moment), in the
        current sort, with the given columns; read a thousand at a time on the worker thread."""
        read = fetch or self.fetch
        db, sort_key, descending = self.db, self.sort_key, self.descending
        shown = [self.columns[i] for i in columns]

        def rows() -> Iterator[list[Any]]:
            with db.sessions() as session:
                offset = 0
                while True:
                    page = read(session, sort_key, descending, offset, 1000)
                    for row in page:
                        yield [c.export(row) if c.export is not None else c.display(row) for c in shown]
                    if len(page) < 1000:
                        return
                    offset += len(page)

        return ExportSource(title, [c.title for c in shown], rows, description=description)


def keep_sort_indicator(view: QTableView, model: LazyRowsModel) -> None:
    """A click on a column that cannot be sorted leaves the arrow on the column the rows are sorted by."""
    header = view.horizontalHeader()

    def restore(section: int, _order: Qt.SortOrder) -> None:
        if 0 <= section < len(model.columns) and model.columns[section].sort_key is not None:
            return
        current = next((i for i, c in enumerate(model.columns) if c.sort_key == model.sort_key), -1)
        order = Qt.SortOrder.DescendingOrder if model.descending else Qt.SortOrder.AscendingOrder
        header.blockSignals(True)
        header.setSortIndicator(current, order)
        header.blockSignals(False)

    header.sortIndicatorChanged.connect(restore)
