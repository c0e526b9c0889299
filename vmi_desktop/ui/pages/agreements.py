"""Supply agreements and thresholds: edit in place, add, deactivate, bulk-edit thresholds."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex

from vmi_desktop import catalog_service
from vmi_desktop.queries import AgreementsQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs import AgreementDialog
from vmi_desktop.ui.dialogs.suggest import SUGGEST_TIP, SuggestThresholdsDialog, open_suggest_dialog
from vmi_desktop.ui.pages._thresholds import ThresholdsMixin
from vmi_desktop.ui.pages.table_page import MasterDataPage
from vmi_desktop.ui.part_page import connect_part_opening


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
        connect_part_opening(self.view, self, self._part_of_row)

    def _part_of_row(self, index: QModelIndex) -> tuple[int, int | None] | None:
        """The row's SKU at the row's location (Enter, or a double-click outside the editable cells)."""
        from vmi_desktop.queries.part import pair_of_agreement

        agreement_id = self.model.row(index.row()).edit_id
        if agreement_id is None:
            return None
        with self.ctx.db.sessions() as session:
            return pair_of_agreement(session, self.ctx.actor, agreement_id)

    def open_suggest_dialog(self) -> SuggestThresholdsDialog:
        """Suggested thresholds for the selected rows, or every row the table shows."""
        return open_suggest_dialog(self)

    def update_selection_buttons(self) -> None:
        MasterDataPage.update_selection_buttons(self)
        self.update_bulk_button()
