"""Supply agreements and thresholds: edit in place, add, deactivate, bulk-edit thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex

from vmi_desktop import catalog_service
from vmi_desktop.queries import AgreementsQuery
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.entity import AgreementDialog
from vmi_desktop.ui.pages._thresholds import ThresholdsMixin
from vmi_desktop.ui.pages.table_page import MasterDataPage
from vmi_desktop.ui.part_page import connect_part_opening

if TYPE_CHECKING:
    from vmi_desktop.ui.dialogs.proposals import ProposalsDialog
    from vmi_desktop.ui.dialogs.suggest import SuggestThresholdsDialog

#: The button's tooltip (the dialog, with its charts and numpy, is imported when first opened).
SUGGEST_TIP = "min/max from each pair's demand history at a target fill rate, replayed before you apply them"


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
        self.proposals_btn = self.add_button(
            "Supplier proposals…",
            self.open_proposals_dialog,
            tooltip="Min/max proposed by suppliers: accept (the agreement changes) or reject with a reason",
        )
        self.proposals_btn.setVisible(self.ctx.can(Action.DECIDE_PROPOSALS))
        self.proposals_dialog: ProposalsDialog | None = None
        self.count_proposals()
        connect_part_opening(self.view, self, self._part_of_row)

    def count_proposals(self) -> int:
        """Say on the button how many proposals wait (after each refresh and decision)."""
        if not self.ctx.can(Action.DECIDE_PROPOSALS):
            return 0
        from vmi_desktop.queries.proposals import pending_count

        with self.ctx.db.sessions() as session:
            waiting = pending_count(session, self.ctx.actor)
        self.proposals_btn.setText(f"Supplier proposals ({waiting})…" if waiting else "Supplier proposals…")
        return waiting

    def refresh(self) -> None:
        """F5 and after a decision: the rows, and the proposals waiting."""
        super().refresh()
        if hasattr(self, "proposals_btn"):
            self.count_proposals()

    def _part_of_row(self, index: QModelIndex) -> tuple[int, int | None] | None:
        """The row's SKU at the row's location (Enter, or a double-click outside the editable cells)."""
        from vmi_desktop.queries.part import pair_of_agreement

        agreement_id = self.model.row(index.row()).edit_id
        if agreement_id is None:
            return None
        with self.ctx.db.sessions() as session:
            return pair_of_agreement(session, self.ctx.actor, agreement_id)

    def open_proposals_dialog(self) -> ProposalsDialog:
        """The suppliers' pending proposals (window-modal, not blocking); the table follows each decision."""
        from vmi_desktop.ui.dialogs.proposals import ProposalsDialog

        dialog = ProposalsDialog(self.ctx, self)
        dialog.decided.connect(lambda _decision: self.refresh())
        self.proposals_dialog = dialog
        dialog.open()
        return dialog

    def open_suggest_dialog(self) -> SuggestThresholdsDialog:
        """Suggested thresholds for the selected rows, or every row the table shows."""
        from vmi_desktop.ui.dialogs.suggest import open_suggest_dialog

        return open_suggest_dialog(self)

    def update_selection_buttons(self) -> None:
        MasterDataPage.update_selection_buttons(self)
        self.update_bulk_button()
