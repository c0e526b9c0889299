"""Add a SKU, vendor, location or agreement: a form whose errors are shown in the dialog."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vmi_desktop import catalog_service
from vmi_desktop.db import describe_db_error
from vmi_desktop.errors import VmiError
from vmi_desktop.models import ConnectionKind, Criticality, LocationKind, ReplenishmentMode
from vmi_desktop.queries.catalog import location_choices, vendor_choices
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.numbers import format_decimal, parse_decimal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Field:
    """One form field: the catalog field name, its label and how it is entered."""

    name: str
    label: str
    kind: str = "text"  # text | qty | money | int | enum | bool | choice
    default: Any = ""
    choices: type[enum.Enum] | None = None


class EntityDialog(QDialog):
    """A form; OK calls ``create_record(session, actor, **values)`` in one transaction and stays open on errors."""

    fields: tuple[Field, ...] = ()
    title = "Add"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.title)
        self.created_id: int | None = None
        self.inputs: dict[str, QWidget] = {}
        form = QFormLayout()
        for field in self.fields:
            widget = self._make_input(field)
            self.inputs[field.name] = widget
            form.addRow(field.label, widget)
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def _make_input(self, field: Field) -> QWidget:
        if field.kind == "enum" and field.choices is not None:
            combo = QComboBox()
            for member in field.choices:
                combo.addItem(str(member.value).replace("_", " "), str(member.value))
            combo.setCurrentIndex(max(combo.findData(str(getattr(field.default, "value", field.default))), 0))
            return combo
        if field.kind == "choice":
            combo = QComboBox()
            combo.setEditable(True)  # a typed code that does not exist is reported by the service
            return combo
        if field.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(field.default))
            return box
        if field.kind == "int":
            spin = QSpinBox()
            spin.setRange(0, 1_000_000)
            spin.setValue(int(field.default or 0))
            return spin
        default = field.default
        if field.kind in ("qty", "money") and default not in (None, ""):
            return QLineEdit(format_decimal(Decimal(str(default)), grouping=False))
        return QLineEdit(str(default))

    def set_value(self, name: str, value: Any) -> None:
        """Fill one field (used by tests and by callers that prefill)."""
        widget = self.inputs[name]
        if isinstance(widget, QComboBox):
            found = widget.findData(value)
            if found < 0:
                found = widget.findText(str(value))
            if found >= 0:
                widget.setCurrentIndex(found)
            elif widget.isEditable():
                widget.setEditText(str(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QSpinBox):
            widget.setValue(int(value))
        elif isinstance(widget, QLineEdit):
            widget.setText(str(value))

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for field in self.fields:
            widget = self.inputs[field.name]
            if isinstance(widget, QComboBox):
                result[field.name] = widget.currentText().strip() if widget.isEditable() else widget.currentData()
            elif isinstance(widget, QCheckBox):
                result[field.name] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                result[field.name] = widget.value()
            elif isinstance(widget, QLineEdit) and field.kind in ("qty", "money"):
                # read in the user's locale; a refusal names the field and how to write it
                decimals = 3 if field.kind == "qty" else 4
                result[field.name] = parse_decimal(widget.text(), what=field.label, decimals=decimals)
            elif isinstance(widget, QLineEdit):
                result[field.name] = widget.text()
        return result

    def create_record(self, session: Session, actor: Actor, **values: Any) -> Any:
        raise NotImplementedError

    def submit(self) -> None:
        """Create the record; on a refusal show the reason and keep the dialog open."""
        try:
            with self.ctx.db.transaction() as session:
                created = self.create_record(session, self.ctx.actor, **self.values())
                self.created_id = int(created.id)
        except VmiError as exc:
            self.error_label.setText(str(exc))
            return
        except SQLAlchemyError as exc:
            self.error_label.setText(describe_db_error(exc))
            return
        self.error_label.setText("")
        self.accept()


class SkuDialog(EntityDialog):
    """Add a SKU."""

    title = "Add SKU"
    fields = (
        Field("part_number", "Part number"),
        Field("description", "Description"),
        Field("uom", "Unit of measure", default="EA"),
        Field("unit_cost", "Unit cost", "money", default="0"),
        Field("criticality", "Criticality", "enum", Criticality.NORMAL, Criticality),
    )

    def create_record(self, session: Session, actor: Actor, **values: Any) -> Any:
        return catalog_service.create_sku(session, actor, **values)


class LocationDialog(EntityDialog):
    """Add a location."""

    title = "Add location"
    fields = (
        Field("code", "Code"),
        Field("name", "Name"),
        Field("kind", "Kind", "enum", LocationKind.WAREHOUSE, LocationKind),
        Field("allow_negative_stock", "Allow negative stock", "bool", False),
    )

    def create_record(self, session: Session, actor: Actor, **values: Any) -> Any:
        return catalog_service.create_location(session, actor, **values)


class VendorDialog(EntityDialog):
    """Add a vendor (credentials are entered on the Sync page, into the keyring)."""

    title = "Add vendor"
    fields = (
        Field("code", "Code"),
        Field("name", "Name"),
        Field("contact_name", "Contact"),
        Field("contact_email", "E-mail"),
        Field("contact_phone", "Phone"),
        Field("connection_kind", "Connection", "enum", ConnectionKind.MANUAL, ConnectionKind),
        Field("base_url", "Base URL"),
        Field("customer_id", "Our customer id"),
        Field("exchange_folder", "Exchange folder (files)"),
        Field("edi_partner_id", "Their EDI id"),
        Field("edi_our_id", "Our EDI id"),
        Field("sync_interval_s", "Sync every (s)", "int", 300),
    )

    def create_record(self, session: Session, actor: Actor, **values: Any) -> Any:
        return catalog_service.create_vendor(session, actor, **values)


class AgreementDialog(EntityDialog):
    """Add a supply agreement: vendor x SKU x location with thresholds and terms."""

    title = "Add supply agreement"
    fields = (
        Field("vendor", "Vendor", "choice"),
        Field("sku", "SKU (part number)"),
        Field("location", "Location", "choice"),
        Field("supplier_sku", "Supplier part number"),
        Field("min_qty", "Min", "qty", "0"),
        Field("max_qty", "Max", "qty", "0"),
        Field("mode", "Replenishment", "enum", ReplenishmentMode.PROPOSAL, ReplenishmentMode),
        Field("lead_time_days", "Lead time (days)", "int", 7),
        Field("pack_size", "Pack size", "qty", "1"),
        Field("moq", "Minimum order quantity", "qty", "0"),
        Field("unit_price", "Unit price", "money", "0"),
        Field("is_primary", "Primary", "bool", True),
    )

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        with ctx.db.sessions() as session:
            vendors = vendor_choices(session, ctx.actor)
            locations = location_choices(session, ctx.actor)
        for name, items in (("vendor", vendors), ("location", locations)):
            combo = self.inputs[name]
            assert isinstance(combo, QComboBox)
            for _id, code in items:
                combo.addItem(code)

    def create_record(self, session: Session, actor: Actor, **values: Any) -> Any:
        return catalog_service.create_agreement(session, actor, **values)


DialogFactory = Callable[[AppContext, QWidget | None], EntityDialog]
