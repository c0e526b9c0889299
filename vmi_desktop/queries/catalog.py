"""Master data tables: SKUs, vendors, locations and supply agreements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from vmi_desktop.db.changes import Changes
from vmi_desktop.models import (
    ConnectionKind,
    Criticality,
    Location,
    LocationKind,
    ReplenishmentMode,
    Sku,
    SupplyAgreement,
    Vendor,
)
from vmi_desktop.queries.base import Column, Kind, PageRequest, Row, TableQuery, contains
from vmi_desktop.scope import Actor, location_filter, readable, vendor_filter, visible


def _active_filter(expr: Any, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    return [] if filters.get("show_inactive") else [expr.is_(True)]


class SkusQuery(TableQuery):
    """SKUs; suppliers see the SKUs of their own agreements only."""

    entity = "sku"
    default_sort = "part_number"
    columns = (
        Column("part_number", "Part number", Sku.part_number, field="part_number", width=14),
        Column("description", "Description", Sku.description, field="description", width=32),
        Column("uom", "UoM", Sku.uom, field="uom"),
        Column("unit_cost", "Unit cost", Sku.unit_cost, Kind.MONEY, field="unit_cost"),
        Column("criticality", "Criticality", Sku.criticality, Kind.ENUM, field="criticality", choices=Criticality),
        Column("active", "Active", Sku.active, Kind.BOOL),
    )

    def base(self) -> Select[Any]:
        return select(Sku.id).select_from(Sku)

    def key_exprs(self) -> Sequence[Any]:
        return (Sku.id,)

    def edit_exprs(self) -> tuple[Any, Any]:
        return (Sku.id, Sku.version)

    def active_expr(self) -> Any:
        return Sku.active

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        return [visible(actor, Sku)] if actor.is_supplier else []

    def hidden_columns(self, actor: Actor) -> frozenset[str]:
        # the customer's own cost may be another vendor's price
        return frozenset(c.key for c in self.columns if not readable(actor, Sku, c.expr.key))

    def search(self, text: str) -> ColumnElement[bool]:
        return or_(contains(Sku.part_number, text), contains(Sku.description, text))

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        return _active_filter(Sku.active, filters)


class LocationsQuery(TableQuery):
    """Locations; suppliers see the locations of their own agreements only."""

    entity = "location"
    default_sort = "code"
    columns = (
        Column("code", "Code", Location.code, field="code", width=10),
        Column("name", "Name", Location.name, field="name", width=30),
        Column("kind", "Kind", Location.kind, Kind.ENUM, field="kind", choices=LocationKind),
        Column(
            "allow_negative_stock",
            "Negative stock allowed",
            Location.allow_negative_stock,
            Kind.BOOL,
            field="allow_negative_stock",
        ),
        Column("active", "Active", Location.active, Kind.BOOL),
    )

    def base(self) -> Select[Any]:
        return select(Location.id).select_from(Location)

    def key_exprs(self) -> Sequence[Any]:
        return (Location.id,)

    def edit_exprs(self) -> tuple[Any, Any]:
        return (Location.id, Location.version)

    def active_expr(self) -> Any:
        return Location.active

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        return [visible(actor, Location)] if actor.is_supplier else []

    def search(self, text: str) -> ColumnElement[bool]:
        return or_(contains(Location.code, text), contains(Location.name, text))

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        return _active_filter(Location.active, filters)


class VendorsQuery(TableQuery):
    """Vendors and how they are reached (no credentials: those live in the keyring)."""

    entity = "vendor"
    default_sort = "code"
    columns = (
        Column("code", "Code", Vendor.code, field="code", width=10),
        Column("name", "Name", Vendor.name, field="name", width=24),
        Column("contact_name", "Contact", Vendor.contact_name, field="contact_name", width=18),
        Column("contact_email", "E-mail", Vendor.contact_email, field="contact_email", width=22),
        Column("contact_phone", "Phone", Vendor.contact_phone, field="contact_phone"),
        Column(
            "connection_kind",
            "Connection",
            Vendor.connection_kind,
            Kind.ENUM,
            field="connection_kind",
            choices=ConnectionKind,
        ),
        Column("base_url", "Base URL", Vendor.base_url, field="base_url", width=24),
        Column("sync_interval_s", "Sync every (s)", Vendor.sync_interval_s, Kind.INT, field="sync_interval_s"),
        Column("active", "Active", Vendor.active, Kind.BOOL),
    )

    def base(self) -> Select[Any]:
        return select(Vendor.id).select_from(Vendor)

    def key_exprs(self) -> Sequence[Any]:
        return (Vendor.id,)

    def edit_exprs(self) -> tuple[Any, Any]:
        return (Vendor.id, Vendor.version)

    def active_expr(self) -> Any:
        return Vendor.active

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        return [visible(actor, Vendor)] if actor.is_supplier else []

    def hidden_columns(self, actor: Actor) -> frozenset[str]:
        # how the customer reaches and authenticates to a vendor is not the vendor's to read
        return frozenset(c.key for c in self.columns if not readable(actor, Vendor, c.expr.key))

    def search(self, text: str) -> ColumnElement[bool]:
        return or_(contains(Vendor.code, text), contains(Vendor.name, text), contains(Vendor.contact_name, text))

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        return _active_filter(Vendor.active, filters)


A = SupplyAgreement


class AgreementsQuery(TableQuery):
    """Supply agreements with their thresholds; suppliers see their own only."""

    entity = "agreement"
    default_sort = "part_number"
    columns = (
        # sortable only where an index gives the order (a million agreements): SKU, location
        Column("vendor", "Vendor", Vendor.code, width=10, sortable=False),
        Column("part_number", "SKU", Sku.part_number, width=14),
        Column("location", "Location", Location.code, width=12),
        Column("supplier_sku", "Supplier part", A.supplier_sku, field="supplier_sku", width=14, sortable=False),
        Column("min_qty", "Min", A.min_qty, Kind.QTY, field="min_qty", sortable=False),
        Column("max_qty", "Max", A.max_qty, Kind.QTY, field="max_qty", sortable=False),
        Column("mode", "Mode", A.mode, Kind.ENUM, field="mode", choices=ReplenishmentMode, sortable=False, width=16),
        Column("lead_time_days", "Lead time (d)", A.lead_time_days, Kind.INT, field="lead_time_days", sortable=False),
        Column("pack_size", "Pack size", A.pack_size, Kind.QTY, field="pack_size", sortable=False),
        Column("moq", "MOQ", A.moq, Kind.QTY, field="moq", sortable=False),
        Column("unit_price", "Unit price", A.unit_price, Kind.MONEY, field="unit_price", sortable=False),
        Column("is_primary", "Primary", A.is_primary, Kind.BOOL, field="is_primary", sortable=False),
        Column("active", "Active", A.active, Kind.BOOL, sortable=False),
    )

    def base(self) -> Select[Any]:
        return (
            select(A.id)
            .select_from(A)
            .join(Vendor, Vendor.id == A.vendor_id)
            .join(Sku, Sku.id == A.sku_id)
            .join(Location, Location.id == A.location_id)
        )

    def key_base(self, request: PageRequest) -> Select[Any]:
        # deferred join (see TableQuery.page): keys first with only the joins the sort and search need
        stmt = select(A.id).select_from(A)
        sort_key = request.sort_key or self.default_sort
        if sort_key == "part_number" or request.search.strip():
            stmt = stmt.join(Sku, Sku.id == A.sku_id)
        if sort_key == "location":
            stmt = stmt.join(Location, Location.id == A.location_id)
        return stmt

    def key_exprs(self) -> Sequence[Any]:
        return (A.id,)

    def edit_exprs(self) -> tuple[Any, Any]:
        return (A.id, A.version)

    def active_expr(self) -> Any:
        return A.active

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        if not actor.is_supplier:
            return []
        return [visible(actor, A)]  # its own active agreements

    def search(self, text: str) -> ColumnElement[bool]:
        # vendor and location are chosen with the filters, so the search stays on the SKU side
        return or_(contains(Sku.part_number, text), contains(Sku.description, text), contains(A.supplier_sku, text))

    def matching_ids(self, session: Session, actor: Actor, request: PageRequest) -> list[int]:
        """Ids of every agreement the table shows for ``request`` (all pages), in key order."""
        stmt = self.base().where(*self.conditions(actor, request)).order_by(A.id)
        return list(session.scalars(stmt))

    def refresh_plan(self, changes: Changes, loaded: Sequence[Row]) -> list[tuple[Any, ...]] | bool:
        if changes.master_data:
            return [r.key for r in loaded]
        return [r.key for r in loaded if r.edit_id in changes.agreements]

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conds = _active_filter(A.active, filters)
        for key, column in (("vendor_id", A.vendor_id), ("location_id", A.location_id), ("sku_id", A.sku_id)):
            if filters.get(key) is not None:
                conds.append(column == filters[key])
        return conds


def location_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, code) of the active locations ``actor`` may see, for filter and dialog combos."""
    stmt = select(Location.id, Location.code).where(Location.active.is_(True), location_filter(actor, Location.id))
    return [(r.id, r.code) for r in session.execute(stmt.order_by(Location.code))]


def vendor_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, code) of the active vendors ``actor`` may see."""
    stmt = select(Vendor.id, Vendor.code).where(Vendor.active.is_(True), vendor_filter(actor, Vendor.id))
    return [(r.id, r.code) for r in session.execute(stmt.order_by(Vendor.code))]
