"""Locations: warehouses, field sites and vans."""

from __future__ import annotations

from vmi_desktop import catalog_service
from vmi_desktop.queries import LocationsQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.entity import LocationDialog
from vmi_desktop.ui.pages.table_page import MasterDataPage


class LocationsPage(MasterDataPage):
    """Where stock is held."""

    state_key = "locations"
    search_hint = "Search code or name"
    add_text = "Add location…"
    dialog_cls = LocationDialog
    set_active = staticmethod(catalog_service.set_location_active)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, LocationsQuery())
