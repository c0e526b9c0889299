"""Supply agreements and thresholds: edit in place, add, deactivate, bulk-edit thresholds."""

from __future__ import annotations

from vmi_desktop import catalog_service
from vmi_desktop.queries import AgreementsQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs import AgreementDialog
from vmi_desktop.ui.dialogs.suggest import SUGGEST_TIP, SuggestThresholdsDialog, open_suggest_dialog
from vmi_desktop.ui.pages._thresholds import ThresholdsMixin
from vmi_desktop.ui.pages.table_page import MasterDataPage


class AgreementsPage(ThresholdsMixin, MasterDataPage):
    """Vendor x SKU x location: min/max, mode, pack size, lead time and price."""

    state_key = "agreements"
    search_hint = "Search SKU, description or supplier part"
    add_text = "Add agreement…"
    dialog_cls = AgreementDialog
    set_active = staticmethod(catalog_service.set_agreement_active)
    label_key = "part_number"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, AgreementsQuery())

    def build_extras(self) -> None:
        self.add_location_filter()
        self.add_vendor_filter()
        MasterDataPage.build_extras(self)
        self.add_bulk_button()
        self.suggest_btn = self.add_button("Suggest thresholds…", self.open_suggest_dialog, tooltip=SUGGEST_TIP)

    def open_suggest_dialog(self) -> SuggestThresholdsDialog:
        """Suggested thresholds for the selected rows, or every row the table shows."""
        return open_suggest_dialog(self)

    def update_selection_buttons(self) -> None:
        MasterDataPage.update_selection_buttons(self)
        self.update_bulk_button()
