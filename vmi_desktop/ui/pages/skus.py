"""SKUs: search, edit in place, add and deactivate."""

from __future__ import annotations

from vmi_desktop import catalog_service
from vmi_desktop.queries import SkusQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.entity import SkuDialog
from vmi_desktop.ui.pages.table_page import MasterDataPage
from vmi_desktop.ui.part_page import connect_part_opening


class SkusPage(MasterDataPage):
    """The parts the customer stocks."""

    state_key = "skus"
    search_hint = "Search part number or description"
    add_text = "Add SKU…"
    dialog_cls = SkuDialog
    set_active = staticmethod(catalog_service.set_sku_active)
    label_key = "part_number"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, SkusQuery())
        # Enter (or a double-click outside the editable cells) opens the part
        connect_part_opening(self.view, self, lambda index: (int(self.model.key_of(index.row())[0]), None))
