"""Dialogs that add master data and run bulk edits; each calls ``catalog_service``."""

from __future__ import annotations

from vmi_desktop.ui.dialogs.bulk import BulkThresholdDialog
from vmi_desktop.ui.dialogs.entity import AgreementDialog, EntityDialog, LocationDialog, SkuDialog, VendorDialog

__all__ = ["AgreementDialog", "BulkThresholdDialog", "EntityDialog", "LocationDialog", "SkuDialog", "VendorDialog"]
