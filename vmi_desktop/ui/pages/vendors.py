"""Vendors: contact and connection details (credentials live in the keyring, not here)."""

from __future__ import annotations

from vmi_desktop import catalog_service
from vmi_desktop.queries import VendorsQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.entity import VendorDialog
from vmi_desktop.ui.pages.table_page import MasterDataPage


class VendorsPage(MasterDataPage):
    """The suppliers and how to reach their systems."""

    state_key = "vendors"
    search_hint = "Search code, name or contact"
    add_text = "Add vendor…"
    dialog_cls = VendorDialog
    set_active = staticmethod(catalog_service.set_vendor_active)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, VendorsQuery())
