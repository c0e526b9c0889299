"""Stock per SKU x location with thresholds, on order and position; min/max editable in place."""

from __future__ import annotations

from vmi_desktop.queries import StockQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages._thresholds import ThresholdsMixin
from vmi_desktop.ui.part_page import connect_part_opening


class StockPage(ThresholdsMixin):
    """The everyday view: what is where, against which thresholds, and what is on its way."""

    state_key = "stock"
    search_hint = "Search SKU or description"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, StockQuery(), page_size=200)

    def build_extras(self) -> None:
        self.add_location_filter()
        self.add_bulk_button()
        # a row is a SKU x location: Enter (or a double-click outside the editable cells) opens its part
        connect_part_opening(self.view, self, lambda index: self.model.key_of(index.row()))

    def update_selection_buttons(self) -> None:
        self.update_bulk_button()
