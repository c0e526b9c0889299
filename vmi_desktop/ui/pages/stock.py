"""Stock per SKU x location with thresholds, on order and position; min/max editable in place."""

from __future__ import annotations

from vmi_desktop.queries import StockQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages._thresholds import ThresholdsMixin


class StockPage(ThresholdsMixin):
    """The everyday view: what is where, against which thresholds, and what is on its way."""

    state_key = "stock"
    search_hint = "Search SKU or description"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, StockQuery(), page_size=200)

    def build_extras(self) -> None:
        self.add_location_filter()
        self.add_bulk_button()

    def update_selection_buttons(self) -> None:
        self.update_bulk_button()
