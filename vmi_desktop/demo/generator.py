"""Fill an empty, migrated database with a believable VMI world, small or very large.

``generate`` builds locations, vendors (one per connection kind), SKUs,
supply agreements in all three modes, two years of simulated daily
consumption and replenishment (see ``simulate``), purchase orders in every
status with their history and receipts, cycle counts, a few open alerts,
demo users and one audit entry for the run. It is deterministic by seed.

The ledger service is bypassed for speed, but what is written is exactly
what the ledger would write: each movement's ``on_hand_after`` is the running
sum for its SKU x location, and ``stock_levels`` holds the last of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, func, select

from vmi_desktop import audit
from vmi_desktop.db import Database
from vmi_desktop.demo.bulk import BulkWriter, TimeFormat
from vmi_desktop.demo.names import CRITICALITIES, MODES, location_specs, make_catalog, vendor_specs
from vmi_desktop.demo.simulate import (
    CONSUMPTION,
    COUNT,
    INTERMITTENT,
    LUMPY,
    OPENING,
    RECEIPT,
    SMOOTH,
    WEEKEND_FACTOR,
    DayBatch,
    PairParams,
    SimulationResult,
    simulate,
)
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AlertSeverity,
    Base,
    Counter,
    CycleCount,
    Location,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Role,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    User,
    Vendor,
)
from vmi_desktop.replenishment.pair_figures import refresh_pair_figures
from vmi_desktop.scope import SYSTEM

log = logging.getLogger(__name__)


def _tbl(model: type[Base]) -> Table:
    """The Core table of a mapped class (typed as a ``Table``)."""
    return cast(Table, model.__table__)


Progress = Callable[[str, float], None]

#: Rows per executemany / COPY batch.
BATCH_ROWS = 50_000
#: Above this many purchase-order lines, only the most recent replenishments become orders.
MAX_PO_LINES = 150_000
#: Above this many expected movements, plain indexes are dropped during the load and rebuilt.
REINDEX_ABOVE = 300_000
#: Above this many expected movements, SQLite skips CHECK / foreign-key enforcement during the load.
RELAX_CHECKS_ABOVE = 2_000_000
_KIND_NAMES = {OPENING: "adjustment", RECEIPT: "receipt", CONSUMPTION: "consumption", COUNT: "count"}
_MOVEMENT_COLUMNS = (
    "id",
    "sku_id",
    "location_id",
    "kind",
    "quantity",
    "on_hand_after",
    "occurred_at",
    "recorded_at",
    "recorded_by",
    "reference",
    "note",
    "purchase_order_line_id",
    "receipt_id",
)
_COUNT_COLUMNS = ("id", "sku_id", "location_id", "counted_qty", "system_qty", "counted_at", "counted_by", "movement_id")


@dataclass
class GenerationStats:
    """What a generation run wrote and how fast."""

    rows: dict[str, int]
    seconds: float
    table_seconds: dict[str, float]
    skus: int
    locations: int
    vendors: int
    pairs: int
    days: int
    start: date
    end: date
    density: float
    po_statuses: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def movements(self) -> int:
        return self.rows.get("stock_movements", 0)


def database_is_empty(db: Database) -> bool:
    """True when no master data, ledger or orders exist (users alone do not count)."""
    with db.sessions() as session:
        for model in (Location, Sku, Vendor, StockMovement, PurchaseOrder):
            if session.scalar(select(func.count()).select_from(model)):
                return False
    return True


@dataclass
class _World:
    """Arrays of the generated master data, indexed by 0-based SKU / location / vendor / pair."""

    n_skus: int
    n_locs: int
    n_vendors: int
    sku_of_pair: np.ndarray
    loc_of_pair: np.ndarray
    vendor_of_pair: np.ndarray
    group_mode: np.ndarray  # per vendor x location group
    group_lead: np.ndarray
    group_late_p: np.ndarray
    uniforms: np.ndarray  # per pair random draws, fixed so recalibration keeps the world
    pattern: np.ndarray  # per pair (from the SKU)
    criticality: np.ndarray  # per pair
    activity: np.ndarray  # per pair (from the location)
    pack: np.ndarray
    moq: np.ndarray
    price_factor: np.ndarray

    def params(self, density: float) -> PairParams:
        """Demand and thresholds for a density factor (1.0 = the natural demo world)."""
        u = self.uniforms
        pattern = self.pattern
        base_p = np.select(
            [pattern == SMOOTH, pattern == INTERMITTENT],
            [0.25 + 0.45 * u[:, 0], 0.01 + 0.05 * u[:, 0]],
            0.01 + 0.04 * u[:, 0],
        )
        p = np.minimum(0.95, base_p * self.activity * density)
        size = np.select([pattern == SMOOTH, pattern == LUMPY], [0.3 + 2.7 * u[:, 1], 3 + 12 * u[:, 1]], 1.0)
        mean_size = np.select([pattern == SMOOTH, pattern == LUMPY], [1 + size, size * 1.38 + 0.5], 1.15)
        rate = p * mean_size * (5 + 2 * WEEKEND_FACTOR) / 7
        group = self.vendor_of_pair * self.n_locs + self.loc_of_pair
        lead = self.group_lead[group]
        safety = np.choose(self.criticality, [0.6, 0.4, 0.25, 0.15]) * lead + 2
        min_qty = np.ceil(rate * (lead + safety)).astype(np.int64)
        min_qty = np.where(self.criticality <= 2, np.maximum(min_qty, 1), min_qty)
        cover = 21 + 39 * u[:, 2]
        # max - min is whole packs, so an order placed at min fills exactly to max.
        packs = np.maximum(1, np.ceil(rate * cover / self.pack)).astype(np.int64)
        max_qty = min_qty + self.pack * packs
        initial = min_qty + np.floor(u[:, 3] * (max_qty - min_qty + 1)).astype(np.int64)
        count_p = np.choose(self.criticality, [1 / 90, 1 / 150, 1 / 240, 1 / 365]) * min(1.0, density)
        return PairParams(
            p=p,
            pattern=pattern,
            size=size,
            min_qty=min_qty,
            max_qty=max_qty,
            pack=self.pack,
            moq=np.minimum(self.moq, max_qty - min_qty),
            lead=lead,
            group=group,
            mode=self.group_mode[group],
            count_p=count_p,
            initial=initial,
            late_p=self.group_late_p[group],
        )


def _build_world(
    n_skus: int,
    n_locs: int,
    n_vendors: int,
    sku_pattern: np.ndarray,
    sku_crit: np.ndarray,
    sku_pack: np.ndarray,
    sku_category: np.ndarray,
    activity: np.ndarray,
    vendor_mode: list[int],
    vendor_lead: list[int],
    vendor_late: list[float],
    loc_lead: np.ndarray,
    rng: np.random.Generator,
) -> _World:
    n = n_skus * n_locs
    sku_of_pair = np.repeat(np.arange(n_skus), n_locs)
    loc_of_pair = np.tile(np.arange(n_locs), n_skus)
    # A vendor per category (rotated), some SKUs with another vendor, a few pairs sourced locally.
    sku_vendor = (sku_category + rng.integers(0, 2, n_skus) * (rng.random(n_skus) < 0.15)) % n_vendors
    vendor_of_pair = sku_vendor[sku_of_pair].copy()
    other = rng.random(n) < 0.08
    vendor_of_pair[other] = rng.integers(0, n_vendors, int(other.sum()))
    n_groups = n_vendors * n_locs
    group_mode = np.repeat(np.asarray(vendor_mode, dtype=np.int64), n_locs)
    flip = rng.random(n_groups) < 0.25
    group_mode[flip] = rng.integers(0, 3, int(flip.sum()))
    used = np.unique(vendor_of_pair * n_locs + loc_of_pair)
    for mode in range(3):  # every mode must be present among the groups that have pairs
        if len(used) >= 3 and not (group_mode[used] == mode).any():
            group_mode[used[mode]] = mode
    group_lead = (
        np.repeat(np.asarray(vendor_lead, dtype=np.int64), n_locs)
        + np.tile(loc_lead, n_vendors)
        + rng.integers(0, 3, n_groups)
    )
    moq = np.where(rng.random(n) < 0.2, sku_pack[sku_of_pair] * rng.integers(2, 5, n), 0)
    return _World(
        n_skus=n_skus,
        n_locs=n_locs,
        n_vendors=n_vendors,
        sku_of_pair=sku_of_pair,
        loc_of_pair=loc_of_pair,
        vendor_of_pair=vendor_of_pair,
        group_mode=group_mode,
        group_lead=group_lead,
        group_late_p=np.repeat(np.asarray(vendor_late, dtype=float), n_locs),
        uniforms=rng.random((n, 4)),
        pattern=sku_pattern[sku_of_pair],
        criticality=sku_crit[sku_of_pair].astype(np.int64),
        activity=activity[loc_of_pair],
        pack=sku_pack[sku_of_pair],
        moq=moq,
        price_factor=0.85 + 0.3 * rng.random(n),
    )


def _calibrate(world: _World, days: int, target: int | None, seed: int) -> tuple[float, float]:
    """The density factor that makes the movement total land near ``target``; also orders per pair-day.

    Simulates a sample of pairs (a few thousand) and rescales demand until the sample's movements per
    pair match the target's; with no target, one run at the natural density measures the order rate.
    """
    n = len(world.sku_of_pair)
    rng = np.random.default_rng([seed, 7])
    sample = np.sort(rng.choice(n, size=min(n, 3000), replace=False))
    density = 1.0
    orders_rate = 0.0
    counted = [0]

    def count(batch: DayBatch) -> None:
        counted[0] += len(batch)

    for _ in range(6):
        counted[0] = 0
        res = simulate(world.params(density).subset(sample), days, np.random.default_rng([seed, 8]), count)
        per_pair = res.movements / len(sample)
        orders_rate = res.orders / len(sample) / max(days, 1)
        if target is None or per_pair <= 0:
            break
        wanted = target / n
        ratio = wanted / per_pair
        if abs(ratio - 1) < 0.02:
            break
        density *= ratio
    return density, orders_rate


def _analyze(db: Database) -> None:
    """Fresh planner statistics for the loaded tables (both engines)."""
    from vmi_desktop.queries.maintenance import refresh_planner_statistics

    if db.is_sqlite:
        refresh_planner_statistics(db, force=True)
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def check_sizes(skus: int, locations: int, vendors: int, days: int) -> None:
    """Refuse sizes the generator cannot honour, before anything is written or deleted."""
    for name, value, low in (
        ("skus", skus, 1),
        ("locations", locations, 1),
        ("vendors", vendors, 1),
        ("days", days, 7),
    ):
        if value < low:
            raise ValidationError(f"--{name} must be at least {low}, got {value}")
    if skus * locations > 5_000_000:
        raise ValidationError(
            f"{skus} SKUs x {locations} locations is more than 5,000,000 pairs; use fewer SKUs or locations"
        )


def generate(
    db: Database,
    *,
    skus: int = 500,
    locations: int = 3,
    vendors: int = 6,
    days: int = 730,
    seed: int = 42,
    movements: int | None = None,
    progress: Progress | None = None,
    end: date | None = None,
    manager: str | None = None,
) -> GenerationStats:
    """Fill the empty, migrated ``db`` with a generated world; same arguments, same data.

    ``movements`` aims the total number of ledger rows (demand density is scaled to land near it);
    ``end`` is "today" of the generated world (default: today, UTC), history covers the ``days``
    before it. ``manager``: if the database has no parts manager yet, create this user as one (the
    app would do the same for the OS user on first start). Raises ``ValidationError`` when the
    database already holds data: demo data is never mixed with real data.
    """
    check_sizes(skus, locations, vendors, days)
    if not database_is_empty(db):
        raise ValidationError(
            f"the database {db.display_name()} already holds data; demo data is never mixed with existing "
            "data. Use an empty database (or `vmi-desktop demo --force` on a SQLite file to replace it)."
        )
    report = progress or (lambda _stage, _fraction: None)
    started = time.perf_counter()
    end = end or datetime.now(UTC).date()
    start = end - timedelta(days=days)
    ss = np.random.SeedSequence(seed)
    rng_cat, rng_world, rng_sim, rng_po = (np.random.default_rng(s) for s in ss.spawn(4))

    report("master data", 0.0)
    loc_specs = location_specs(locations)
    ven_specs = vendor_specs(vendors)
    catalog = make_catalog(skus, rng_cat)
    activity = np.array([s.activity for s in loc_specs])
    loc_lead = np.array(
        [0 if s.kind.value == "warehouse" else (2 if s.kind.value == "field_site" else 1) for s in loc_specs],
        dtype=np.int64,
    )
    world = _build_world(
        skus,
        locations,
        vendors,
        catalog.pattern,
        catalog.criticality,
        catalog.pack,
        catalog.category,
        activity,
        [v.default_mode for v in ven_specs],
        [v.lead_days for v in ven_specs],
        [v.late_p for v in ven_specs],
        loc_lead,
        rng_world,
    )
    n_pairs = skus * locations
    density, orders_rate = 1.0, 0.0
    if movements is not None:
        report("calibrating", 0.0)
        density, orders_rate = _calibrate(world, days, movements, seed)
    elif n_pairs > 20_000:
        _, orders_rate = _calibrate(world, days, None, seed)
    params = world.params(density)
    if n_pairs <= 20_000:
        po_from_day = 0
    else:
        if orders_rate <= 0:
            orders_rate = 1 / 60
        window = int(MAX_PO_LINES / (n_pairs * orders_rate))
        po_from_day = max(0, days - max(30, window))
    expected = movements if movements is not None else int(n_pairs * days * float(params.p.mean()) * 1.3)

    fmt = TimeFormat(start, days, db.is_sqlite)
    gen = _Generation(
        db=db,
        world=world,
        params=params,
        catalog=catalog,
        loc_specs=loc_specs,
        ven_specs=ven_specs,
        fmt=fmt,
        days=days,
        po_from_day=po_from_day,
        rng_po=rng_po,
        report=report,
    )
    with db.engine.connect() as conn:
        writer = BulkWriter(db, conn)
        writer.tune_for_bulk(relax_checks=expected > RELAX_CHECKS_ABOVE)
        conn.commit()
        try:
            with conn.begin():
                dropped: list[Any] = []
                fks: list[Any] = []
                if expected > REINDEX_ABOVE:
                    for table in (_tbl(StockMovement), _tbl(CycleCount)):
                        dropped += writer.drop_indexes(table)
                    for table in (_tbl(StockMovement), _tbl(CycleCount), _tbl(SupplyAgreement), _tbl(StockLevel)):
                        fks += writer.drop_foreign_keys(table)
                gen.write_master(writer)
                result = simulate(
                    params,
                    days,
                    rng_sim,
                    lambda b: gen.on_day(writer, b),
                    first_weekday=start.weekday(),
                    po_from_day=po_from_day,
                )
                gen.finish(writer, result)
                if dropped or fks:
                    report("indexing", 0.95)
                    writer.create_indexes(dropped)
                    writer.create_foreign_keys(fks)
                writer.reset_sequences(
                    [
                        _tbl(Location),
                        _tbl(Sku),
                        _tbl(Vendor),
                        _tbl(SupplyAgreement),
                        _tbl(StockMovement),
                        _tbl(CycleCount),
                        _tbl(PurchaseOrder),
                        _tbl(PurchaseOrderLine),
                        _tbl(POStatusChange),
                        _tbl(Receipt),
                    ]
                )
        finally:
            writer.restore()
            conn.commit()
    report("worklist figures", 0.96)
    with db.transaction() as session:
        # the stock levels were written in bulk, past the ledger: copy the pairs' figures the ledger keeps
        refresh_pair_figures(session)
    report("alerts and users", 0.97)
    rows = {name: st.rows for name, st in writer.stats.items() if not name.startswith(("index ", "constraint "))}
    with db.transaction() as session:
        rows["alerts"] = gen.write_alerts(session, result)
        rows["users"] = gen.write_users(session, manager)
        audit.record(
            session,
            SYSTEM,
            "demo.generate",
            "database",
            "",
            seed=seed,
            skus=skus,
            locations=locations,
            vendors=vendors,
            days=days,
            start=start,
            end=end,
            density=round(density, 4),
            rows=sum(rows.values()),
            movements=rows.get("stock_movements", 0),
        )
        rows["audit_entries"] = rows.get("audit_entries", 0) + 1
    report("planner statistics", 0.99)
    _analyze(db)  # the first open of the new database must not have to do it
    seconds = time.perf_counter() - started
    report("done", 1.0)
    return GenerationStats(
        rows=rows,
        seconds=seconds,
        table_seconds={k: v.seconds for k, v in writer.stats.items()},
        skus=skus,
        locations=locations,
        vendors=vendors,
        pairs=n_pairs,
        days=days,
        start=start,
        end=end,
        density=density,
        po_statuses=gen.po_status_counts,
    )


@dataclass
class _Generation:
    """State of one run between the simulation callbacks."""

    db: Database
    world: _World
    params: PairParams
    catalog: Any
    loc_specs: list[Any]
    ven_specs: list[Any]
    fmt: TimeFormat
    days: int
    po_from_day: int
    rng_po: np.random.Generator
    report: Progress
    next_movement: int = 1
    next_count: int = 1
    pending: list[DayBatch] = field(default_factory=list)
    pending_rows: int = 0
    pending_first: int = 1
    late: list[tuple[int, DayBatch]] = field(default_factory=list)
    receipt_rows: list[tuple[int, int, int]] = field(default_factory=list)  # (receipt id, po id, day)
    po_status_counts: dict[str, int] = field(default_factory=dict)
    overdue: list[tuple[int, int, int, date]] = field(default_factory=list)

    # ------------------------------------------------------------------ master data

    def write_master(self, w: BulkWriter) -> None:
        """Locations, SKUs, vendors and supply agreements (primaries first, then backups)."""
        f = self.fmt
        setup = f.ts(-1, 600)
        w.insert(
            _tbl(Location),
            ("id", "code", "name", "kind", "allow_negative_stock", "active", "version", "updated_at", "updated_by"),
            [
                (i + 1, s.code, s.name, s.kind.value, False, True, 1, setup, "demo")
                for i, s in enumerate(self.loc_specs)
            ],
        )
        c = self.catalog
        crit = [CRITICALITIES[int(x)] for x in c.criticality]
        costs = [f"{x:.4f}" for x in c.unit_cost]
        w.insert(
            _tbl(Sku),
            (
                "id",
                "part_number",
                "description",
                "uom",
                "unit_cost",
                "criticality",
                "active",
                "version",
                "updated_at",
                "updated_by",
            ),
            [
                (i + 1, c.part_number[i], c.description[i], c.uom[i], costs[i], crit[i], True, 1, setup, "demo")
                for i in range(len(crit))
            ],
        )
        w.insert(
            _tbl(Vendor),
            (
                "id",
                "code",
                "name",
                "contact_name",
                "contact_email",
                "contact_phone",
                "connection_kind",
                "base_url",
                "auth_kind",
                "token_url",
                "client_id",
                "client_cert_path",
                "customer_id",
                "exchange_folder",
                "sync_interval_s",
                "active",
                "version",
                "updated_at",
                "updated_by",
            ),
            [
                (
                    i + 1,
                    v.code,
                    v.name,
                    v.contact,
                    v.email,
                    v.phone,
                    v.connection.value,
                    v.base_url,
                    v.auth.value,
                    v.token_url,
                    v.client_id,
                    "",
                    v.customer_id,
                    v.exchange_folder,
                    300,
                    True,
                    1,
                    setup,
                    "demo",
                )
                for i, v in enumerate(self.ven_specs)
            ],
        )
        self._write_agreements(w, setup)

    def supplier_sku(self, vendor: np.ndarray, sku: np.ndarray) -> list[str]:
        prefixes = [v.code[:3] + "-" for v in self.ven_specs]
        pn = self.catalog.part_number
        return [prefixes[v] + pn[s].replace("-", "") for v, s in zip(vendor.tolist(), sku.tolist(), strict=True)]

    def unit_price(self, pairs: np.ndarray, factor: float = 1.0) -> list[str]:
        cost = self.catalog.unit_cost[self.world.sku_of_pair[pairs]] * self.world.price_factor[pairs] * factor
        return [f"{x:.4f}" for x in np.round(cost, 4).tolist()]

    def _write_agreements(self, w: BulkWriter, setup: str) -> None:
        wd, p = self.world, self.params
        n = len(wd.sku_of_pair)
        rng = np.random.default_rng(self.rng_po.integers(1 << 62))
        backup = np.flatnonzero(rng.random(n) < 0.1) if wd.n_vendors > 1 else np.zeros(0, dtype=np.int64)
        crit = wd.criticality
        sla_fill = np.choose(crit, ["0.9800", "0.9500", "0.9200", "0.9000"]).tolist()
        sla_resp = np.choose(crit, [4, 24, 48, 72]).tolist()
        table = _tbl(SupplyAgreement)
        cols = (
            "id",
            "vendor_id",
            "sku_id",
            "location_id",
            "supplier_sku",
            "min_qty",
            "max_qty",
            "mode",
            "lead_time_days",
            "pack_size",
            "moq",
            "unit_price",
            "currency",
            "is_primary",
            "sla_fill_rate",
            "sla_response_hours",
            "critical_priority",
            "active",
            "version",
            "updated_at",
            "updated_by",
        )
        modes = [MODES[m] for m in range(3)]
        for lo in range(0, n, BATCH_ROWS):
            idx = np.arange(lo, min(n, lo + BATCH_ROWS))
            vend, sku, loc = wd.vendor_of_pair[idx], wd.sku_of_pair[idx], wd.loc_of_pair[idx]
            rows = list(
                zip(
                    (idx + 1).tolist(),
                    (vend + 1).tolist(),
                    (sku + 1).tolist(),
                    (loc + 1).tolist(),
                    self.supplier_sku(vend, sku),
                    p.min_qty[idx].tolist(),
                    p.max_qty[idx].tolist(),
                    [modes[m] for m in p.mode[idx].tolist()],
                    p.lead[idx].tolist(),
                    p.pack[idx].tolist(),
                    p.moq[idx].tolist(),
                    self.unit_price(idx),
                    ["EUR"] * len(idx),
                    [True] * len(idx),
                    sla_fill[lo : lo + len(idx)],
                    sla_resp[lo : lo + len(idx)],
                    (crit[idx] == 0).tolist(),
                    [True] * len(idx),
                    [1] * len(idx),
                    [setup] * len(idx),
                    ["demo"] * len(idx),
                    strict=True,
                )
            )
            w.insert(table, cols, rows)
        if len(backup):
            vend = (
                wd.vendor_of_pair[backup] + 1 + rng.integers(0, max(1, wd.n_vendors - 1), len(backup))
            ) % wd.n_vendors
            sku, loc = wd.sku_of_pair[backup], wd.loc_of_pair[backup]
            k = len(backup)
            rows = list(
                zip(
                    (n + 1 + np.arange(k)).tolist(),
                    (vend + 1).tolist(),
                    (sku + 1).tolist(),
                    (loc + 1).tolist(),
                    self.supplier_sku(vend, sku),
                    p.min_qty[backup].tolist(),
                    p.max_qty[backup].tolist(),
                    ["proposal"] * k,
                    (p.lead[backup] + 4).tolist(),
                    p.pack[backup].tolist(),
                    p.moq[backup].tolist(),
                    self.unit_price(backup, 1.12),
                    ["EUR"] * k,
                    [False] * k,
                    ["0.9000"] * k,
                    [72] * k,
                    [False] * k,
                    [True] * k,
                    [1] * k,
                    [setup] * k,
                    ["demo"] * k,
                    strict=True,
                )
            )
            for lo in range(0, k, BATCH_ROWS):
                w.insert(table, cols, rows[lo : lo + BATCH_ROWS])

    # ------------------------------------------------------------------ ledger

    def on_day(self, w: BulkWriter, batch: DayBatch) -> None:
        """Number the day's movements; write them now, or keep them until their orders exist."""
        first_id = self.next_movement
        self.next_movement += len(batch)
        if batch.receipts:
            self.receipt_rows.extend((rid, po, batch.day) for rid, po in batch.receipts)
        if batch.day >= self.po_from_day:
            self._flush_pending(w)
            self.late.append((first_id, batch))
        else:
            if not self.pending:
                self.pending_first = first_id
            self.pending.append(batch)
            self.pending_rows += len(batch)
            if self.pending_rows >= BATCH_ROWS:
                self._flush_pending(w)
        if batch.day % 10 == 0:
            self.report("movements", 0.05 + 0.8 * batch.day / self.days)

    def _flush_pending(self, w: BulkWriter) -> None:
        if not self.pending:
            return
        first_id = self.pending_first
        merged = DayBatch(
            day=self.pending[0].day,
            receipts=[],
            **{
                k: np.concatenate([getattr(b, k) for b in self.pending])
                for k in ("kind", "pair", "quantity", "after", "minute", "line", "po", "receipt", "count_system")
            },
        )
        days = np.concatenate([np.full(len(b), b.day, dtype=np.int64) for b in self.pending])
        self._write_movements(w, first_id, merged, days)
        self.pending.clear()
        self.pending_rows = 0

    def _write_movements(self, w: BulkWriter, first_id: int, b: DayBatch, days: np.ndarray) -> None:
        k = len(b)
        wd = self.world
        ids = np.arange(first_id, first_id + k)
        stamps = self.fmt.ts_many((days * 1440 + b.minute).tolist())
        kind_names = [_KIND_NAMES[x] for x in range(4)]
        kinds = [kind_names[x] for x in b.kind.tolist()]
        ref = np.full(k, "", dtype=object)
        note = np.full(k, "", dtype=object)
        by = np.full(k, "lead", dtype=object)
        is_open = b.kind == OPENING
        ref[is_open] = "opening balance"
        note[is_open] = "stock taken over at go-live"
        by[is_open] = "system"
        ref[b.kind == COUNT] = "count"
        rec = b.kind == RECEIPT
        with_po = rec & (b.po > 0)
        if with_po.any():
            ref[with_po] = [f"PO-{x:06d}" for x in b.po[with_po].tolist()]
        legacy = rec & (b.po == 0)
        ref[legacy] = "ERP goods receipt"
        note[legacy] = "before VMI orders were tracked"
        lines = [x or None for x in b.line.tolist()]
        receipts = [x or None for x in b.receipt.tolist()]
        sku = (wd.sku_of_pair[b.pair] + 1).tolist()
        loc = (wd.loc_of_pair[b.pair] + 1).tolist()
        id_list = ids.tolist()
        rows = list(
            zip(
                id_list,
                sku,
                loc,
                kinds,
                b.quantity.tolist(),
                b.after.tolist(),
                stamps,
                stamps,
                by.tolist(),
                ref.tolist(),
                note.tolist(),
                lines,
                receipts,
                strict=True,
            )
        )
        for lo in range(0, k, BATCH_ROWS):
            w.insert(_tbl(StockMovement), _MOVEMENT_COLUMNS, rows[lo : lo + BATCH_ROWS])
        counts = np.flatnonzero(b.kind == COUNT)
        if len(counts):
            cids = self.next_count + np.arange(len(counts))
            self.next_count += len(counts)
            crow = list(
                zip(
                    cids.tolist(),
                    [sku[i] for i in counts.tolist()],
                    [loc[i] for i in counts.tolist()],
                    b.after[counts].tolist(),
                    b.count_system[counts].tolist(),
                    [stamps[i] for i in counts.tolist()],
                    ["lead"] * len(counts),
                    ids[counts].tolist(),
                    strict=True,
                )
            )
            w.insert(_tbl(CycleCount), _COUNT_COLUMNS, crow)

    # ------------------------------------------------------------------ orders and final state

    def finish(self, w: BulkWriter, result: SimulationResult) -> None:
        """Write the rest of the stream, the orders with history and receipts, then the levels."""
        self._flush_pending(w)
        self.report("orders", 0.86)
        extra = _OrderWriter(self, result).write(w)
        self.report("ledger", 0.9)
        for first_id, batch in self.late + extra:
            self._write_movements(w, first_id, batch, np.full(len(batch), batch.day, dtype=np.int64))
        self.late.clear()
        self._write_levels(w, result)

    def _write_levels(self, w: BulkWriter, result: SimulationResult) -> None:
        wd = self.world
        n = len(wd.sku_of_pair)
        last = result.last_movement
        start_stamp = self.fmt.ts(0, 0)
        for lo in range(0, n, BATCH_ROWS):
            idx = np.arange(lo, min(n, lo + BATCH_ROWS))
            has = last[idx] >= 0
            stamps = self.fmt.ts_many(result.last_minute[idx].tolist())
            rows = list(
                zip(
                    (wd.sku_of_pair[idx] + 1).tolist(),
                    (wd.loc_of_pair[idx] + 1).tolist(),
                    result.on_hand[idx].tolist(),
                    [s if h else start_stamp for s, h in zip(stamps, has.tolist(), strict=True)],
                    [int(x) + 1 if x >= 0 else None for x in last[idx].tolist()],
                    strict=True,
                )
            )
            w.insert(_tbl(StockLevel), ("sku_id", "location_id", "on_hand", "updated_at", "last_movement_id"), rows)

    def write_alerts(self, session: Any, result: SimulationResult) -> int:
        """A few open alerts: stock-outs, pairs at or below min, overdue orders."""
        wd, p = self.world, self.params
        when = datetime.combine(self.fmt.start + timedelta(days=self.days - 1), datetime.min.time(), UTC) + timedelta(
            hours=18
        )
        pn, codes = self.catalog.part_number, [s.code for s in self.loc_specs]
        alerts: list[Alert] = []
        out = np.flatnonzero(result.on_hand <= 0)
        out = out[np.lexsort((out, wd.criticality[out]))][:25]
        for i in out.tolist():
            s, loc = int(wd.sku_of_pair[i]), int(wd.loc_of_pair[i])
            alerts.append(
                Alert(
                    kind=AlertKind.STOCK_OUT,
                    severity=AlertSeverity.CRITICAL,
                    cause_key=f"stock_out:{s + 1}:{loc + 1}",
                    message=f"{pn[s]} at {codes[loc]} is out of stock",
                    vendor_id=int(wd.vendor_of_pair[i]) + 1,
                    sku_id=s + 1,
                    location_id=loc + 1,
                    created_at=when,
                )
            )
        position = result.on_hand + result.pending_qty
        below = np.flatnonzero(position <= p.min_qty)
        below = below[np.lexsort((below, wd.criticality[below]))][:25]
        for i in below.tolist():
            s, loc = int(wd.sku_of_pair[i]), int(wd.loc_of_pair[i])
            alerts.append(
                Alert(
                    kind=AlertKind.BELOW_MIN,
                    severity=AlertSeverity.WARNING,
                    cause_key=f"below_min:{s + 1}:{loc + 1}",
                    message=f"{pn[s]} at {codes[loc]}: position {int(position[i])} is at or below min "
                    f"{int(p.min_qty[i])}",
                    vendor_id=int(wd.vendor_of_pair[i]) + 1,
                    sku_id=s + 1,
                    location_id=loc + 1,
                    created_at=when,
                )
            )
        for po_id, vendor_id, loc_id, due in self.overdue[:25]:
            alerts.append(
                Alert(
                    kind=AlertKind.ORDER_OVERDUE,
                    severity=AlertSeverity.WARNING,
                    cause_key=f"overdue:{po_id}",
                    message=f"order PO-{po_id:06d} is overdue (due {due})",
                    vendor_id=vendor_id,
                    location_id=loc_id,
                    purchase_order_id=po_id,
                    created_at=when,
                )
            )
        session.add_all(alerts)
        return len(alerts)

    def write_users(self, session: Any, manager: str | None) -> int:
        """A warehouse lead, one supplier user per REST vendor, and the parts manager if there is none."""
        made = 0
        existing = set(session.scalars(select(User.username)))
        wanted: list[User] = []
        has_manager = session.scalar(select(func.count(User.id)).where(User.role == Role.PARTS_MANAGER))
        if manager and not has_manager and manager not in existing:
            wanted.append(User(username=manager, display_name=manager, role=Role.PARTS_MANAGER, updated_by="demo"))
        wanted.append(User(username="lead", display_name="Warehouse lead", role=Role.WAREHOUSE_LEAD, updated_by="demo"))
        for i, v in enumerate(self.ven_specs):
            if v.connection.value == "rest":
                wanted.append(
                    User(
                        username=f"{v.code.lower()}-rep",
                        display_name=f"{v.contact} ({v.name})",
                        role=Role.SUPPLIER,
                        vendor_id=i + 1,
                        updated_by="demo",
                    )
                )
        for user in wanted:
            if user.username not in existing:
                session.add(user)
                made += 1
        session.flush()
        return made


class _OrderWriter:
    """Turns the simulation's order book into purchase orders, lines, history and receipts."""

    def __init__(self, gen: _Generation, result: SimulationResult) -> None:
        self.gen = gen
        self.result = result
        self.today = gen.days  # simulation day index of "today" (history ends the day before)

    def write(self, w: BulkWriter) -> list[tuple[int, DayBatch]]:
        g = self.gen
        book = self.result.book
        o, ln = book.orders, book.lines
        n_po = o.n
        ordered = ln["ordered"]
        received = ln["received"]
        po_of_line = ln["po"] - 1
        full = np.ones(n_po, dtype=bool)
        if len(ordered):
            np.logical_and.at(full, po_of_line, received >= ordered)
        any_recv = np.zeros(n_po, dtype=bool)
        if len(ordered):
            np.logical_or.at(any_recv, po_of_line, received > 0)
        n_lines = np.bincount(po_of_line, minlength=n_po) if len(ordered) else np.zeros(n_po, dtype=np.int64)
        orders = []
        for i in range(n_po):
            orders.append(self._order(i, bool(full[i]) and n_lines[i] > 0, bool(any_recv[i]), int(n_lines[i])))
        # A few cancelled and rejected orders that never reached the shelf.
        rng = g.rng_po
        extra_lines: list[tuple[int, int, int, int]] = []  # (po index, pair, line_no, qty)
        n_pairs = len(g.world.sku_of_pair)
        first_day = g.po_from_day
        for status in ("cancelled", "rejected"):
            for _ in range(max(1, n_po // 100)):
                pair = int(rng.integers(n_pairs))
                day = int(rng.integers(first_day, max(first_day + 1, self.today - 3)))
                orders.append(self._extra(status, pair, day))
                extra_lines.append((len(orders) - 1, pair, 1, int(g.params.max_qty[pair] + g.params.pack[pair])))
        present = {od["status"] for od in orders}
        appended: list[tuple[int, DayBatch]] = []
        for status in (
            "draft",
            "awaiting_approval",
            "sent",
            "acknowledged",
            "partly_shipped",
            "shipped",
            "partly_received",
            "received",
        ):
            if status in present:
                continue
            pair = int(rng.integers(n_pairs))
            qty = int(max(2, g.params.max_qty[pair] - g.params.min_qty[pair]))
            orders.append(self._extra(status, pair, max(0, self.today - 4)))
            extra_lines.append((len(orders) - 1, pair, 1, qty))
        self._write_orders(w, orders, extra_lines, appended)
        return appended

    # Timeline helpers: minutes since the start of day 0.
    def _order(self, i: int, full: bool, partial: bool, n_lines: int) -> dict[str, Any]:
        o = self.result.book.orders
        g = self.gen
        po_id = i + 1
        created_day = int(o["created"][i])
        group = int(o["group"][i])
        vendor, loc = divmod(group, g.world.n_locs)
        mode = int(o["mode"][i])
        arrive = int(o["arrive"][i])
        fr, lr = int(o["first_receipt"][i]), int(o["last_receipt"][i])
        t_created = created_day * 1440 + 1050
        lo, hi = g.ven_specs[vendor].ack_hours
        ack_delay = lo * 60 + (po_id * 37) % ((hi - lo) * 60 + 1)
        if full:
            status = "received"
        elif partial:
            status = "partly_received"
        elif arrive - self.today <= 1:
            status = "partly_shipped" if (po_id % 4 == 0) else "shipped"
        elif self.today - created_day <= 1:
            status = "awaiting_approval" if mode == 2 else ("draft" if (mode == 1 and po_id % 2) else "sent")
        else:
            status = "sent" if po_id % 7 == 0 else "acknowledged"
        return dict(
            id=po_id,
            vendor=vendor,
            loc=loc,
            mode=mode,
            status=status,
            t_created=t_created,
            ack_delay=ack_delay,
            due=int(o["due"][i]),
            first=fr,
            last=lr,
            lines=n_lines,
        )

    def _extra(self, status: str, pair: int, day: int) -> dict[str, Any]:
        g = self.gen
        wd = g.world
        vendor, loc = int(wd.vendor_of_pair[pair]), int(wd.loc_of_pair[pair])
        mode = (
            2
            if status in ("rejected", "awaiting_approval")
            else (1 if status in ("cancelled", "draft") else int(g.params.mode[pair]))
        )
        due = day + int(g.params.lead[pair]) + 1
        first = last = -1
        if status in ("partly_received", "received"):
            first = last = self.today - 1
        return dict(
            id=None,
            vendor=vendor,
            loc=loc,
            mode=mode,
            status=status,
            t_created=day * 1440 + 600,
            ack_delay=180,
            due=due,
            first=first,
            last=last,
            lines=1,
            pair=pair,
            recv_minute=1080,
        )

    def _write_orders(
        self,
        w: BulkWriter,
        orders: list[dict[str, Any]],
        extra_lines: list[tuple[int, int, int, int]],
        appended: list[tuple[int, DayBatch]],
    ) -> None:
        g = self.gen
        f = g.fmt
        now_min = self.today * 1440
        codes = [v.code for v in g.ven_specs]
        next_id = self.result.book.orders.n + 1
        for od in orders:
            if od["id"] is None:
                od["id"] = next_id
                next_id += 1
        history: list[tuple[Any, ...]] = []
        po_rows: list[tuple[Any, ...]] = []
        counts: dict[str, int] = {}
        for od in orders:
            po_id, status, mode = od["id"], od["status"], od["mode"]
            counts[status] = counts.get(status, 0) + 1
            vendor_actor = f"vendor:{codes[od['vendor']]}"
            t0 = od["t_created"]
            steps: list[tuple[str | None, str, int, str]] = []
            origin = ("supplier", "auto", "proposal")[mode]
            if status == "draft":
                origin = "manual" if mode != 1 else "auto"
            created_by = vendor_actor if mode == 0 else "system"
            rm = od.get("recv_minute", 480)
            end_min = (od["first"] * 1440 + rm) if od["first"] >= 0 else now_min
            t_sent = t0 + (0 if mode == 0 else (5 if mode == 1 else 60))
            if mode == 0:
                steps.append((None, "sent", t0, vendor_actor))
            else:
                steps.append((None, "draft", t0, created_by))
                if mode == 2:
                    steps.append(("draft", "awaiting_approval", t0 + 1, "system"))
            t = dict(created=t0)
            order_rank = [
                "draft",
                "awaiting_approval",
                "sent",
                "acknowledged",
                "partly_shipped",
                "shipped",
                "partly_received",
                "received",
            ]
            target = order_rank.index(status) if status in order_rank else -1
            if status == "rejected":
                steps.append(("awaiting_approval", "rejected", t0 + 900, "pm"))
                t["closed"] = t0 + 900
            if status == "cancelled":
                steps.append(("draft", "sent", t_sent, "system"))
                steps.append(("sent", "cancelled", t0 + 1500, "pm"))
                t["sent"] = t_sent
                t["closed"] = t0 + 1500
            if target >= order_rank.index("sent") and mode != 0:
                steps.append((steps[-1][1], "sent", t_sent, "pm" if mode == 2 else "system"))
            if target >= order_rank.index("sent"):
                t["sent"] = t_sent
            if target >= order_rank.index("acknowledged"):
                t_ack = t_sent + min(od["ack_delay"], max(1, (end_min - t_sent) // 3))
                steps.append(("sent", "acknowledged", t_ack, vendor_actor))
                t["ack"] = t_ack
            if target >= order_rank.index("partly_shipped"):
                t_ship = t["ack"] + max(1, (end_min - t["ack"]) // 2)
                shipped_to = "partly_shipped" if status == "partly_shipped" else "shipped"
                steps.append(("acknowledged", shipped_to, t_ship, vendor_actor))
                t["ship"] = t_ship
            if target >= order_rank.index("partly_received"):
                t_first = od["first"] * 1440 + rm
                t_last = od["last"] * 1440 + rm
                if status == "partly_received" or t_last > t_first:
                    steps.append(("shipped", "partly_received", t_first, "lead"))
                if status == "received":
                    steps.append((steps[-1][1], "received", t_last, "lead"))
                    t["received"] = t["closed"] = t_last
            od["t"] = t
            for frm, to, when, who in steps:
                history.append((po_id, frm, to, f.ts(when // 1440, when % 1440), who, ""))
            po_rows.append(
                (
                    po_id,
                    f"PO-{po_id:06d}",
                    od["vendor"] + 1,
                    od["loc"] + 1,
                    status,
                    origin,
                    f"{codes[od['vendor']]}-SO-{po_id}" if mode == 0 else None,
                    "EUR",
                    f.ts(t0 // 1440, t0 % 1440),
                    created_by,
                    *(
                        f.ts(t[k] // 1440, t[k] % 1440) if k in t else None
                        for k in ("sent", "ack", "ship", "received", "closed")
                    ),
                    f.day(od["due"]),
                    f.day(od["due"]) if "ack" in t else None,
                    "",
                    "demo data",
                )
            )
            if (
                status in ("sent", "acknowledged", "partly_shipped", "shipped", "partly_received")
                and od["due"] < self.today
            ):
                g.overdue.append((po_id, od["vendor"] + 1, od["loc"] + 1, g.fmt.start + timedelta(days=od["due"])))
        g.po_status_counts = counts
        for lo in range(0, len(po_rows), BATCH_ROWS):
            w.insert(
                _tbl(PurchaseOrder),
                (
                    "id",
                    "po_number",
                    "vendor_id",
                    "location_id",
                    "status",
                    "origin",
                    "supplier_order_id",
                    "currency",
                    "created_at",
                    "created_by",
                    "sent_at",
                    "acknowledged_at",
                    "shipped_at",
                    "received_at",
                    "closed_at",
                    "need_by",
                    "expected_delivery",
                    "hold_reason",
                    "note",
                    "version",
                    "updated_at",
                    "updated_by",
                ),
                [(*r, 1, r[8], "demo") for r in po_rows[lo : lo + BATCH_ROWS]],
            )
        hist_rows = [(k + 1, *h) for k, h in enumerate(history)]
        for lo in range(0, len(hist_rows), BATCH_ROWS):
            w.insert(
                _tbl(POStatusChange),
                ("id", "purchase_order_id", "from_status", "to_status", "changed_at", "changed_by", "note"),
                hist_rows[lo : lo + BATCH_ROWS],
            )
        self._write_lines(w, orders, extra_lines, appended)
        w.insert(_tbl(Counter), ("name", "value"), [("purchase_order", next_id - 1), ("receipt", len(g.receipt_rows))])

    def _write_lines(
        self,
        w: BulkWriter,
        orders: list[dict[str, Any]],
        extra_lines: list[tuple[int, int, int, int]],
        appended: list[tuple[int, DayBatch]],
    ) -> None:
        g, res = self.gen, self.result
        ln = res.book.lines
        f = g.fmt
        wd, p = g.world, g.params
        pair = np.concatenate([ln["pair"], np.array([e[1] for e in extra_lines], dtype=np.int64)])
        po_index = np.concatenate([ln["po"] - 1, np.array([e[0] for e in extra_lines], dtype=np.int64)])
        line_no = np.concatenate([ln["line_no"], np.ones(len(extra_lines), dtype=np.int64)])
        ordered = np.concatenate([ln["ordered"], np.array([e[3] for e in extra_lines], dtype=np.int64)])
        received = np.concatenate([ln["received"], np.zeros(len(extra_lines), dtype=np.int64)])
        n_book = ln.n
        # Orders made up to show a status the simulation did not reach: receive them now, in the ledger too.
        last_day = self.today - 1
        extra_rows: list[int] = []
        for j, (oi, pr, _, qty) in enumerate(extra_lines):
            status = orders[oi]["status"]
            if status not in ("partly_received", "received"):
                continue
            rq = qty if status == "received" else max(1, qty // 2)
            received[n_book + j] = rq
            res.on_hand[pr] += rq
            rid = len(g.receipt_rows) + 1
            g.receipt_rows.append((rid, orders[oi]["id"], last_day))
            mid = g.next_movement
            g.next_movement += 1
            res.last_movement[pr] = mid - 1
            res.last_minute[pr] = last_day * 1440 + 1080
            extra_rows.append(j)
            appended.append(
                (
                    mid,
                    DayBatch(
                        day=last_day,
                        kind=np.array([RECEIPT], dtype=np.int8),
                        pair=np.array([pr]),
                        quantity=np.array([rq]),
                        after=np.array([res.on_hand[pr]]),
                        minute=np.array([1080]),
                        line=np.array([n_book + j + 1]),
                        po=np.array([orders[oi]["id"]]),
                        receipt=np.array([rid]),
                        count_system=np.array([0]),
                        receipts=[],
                    ),
                )
            )
        status = [orders[i]["status"] for i in po_index.tolist()]
        n_lines = [orders[i]["lines"] for i in po_index.tolist()]
        acked = [("ack" in orders[i]["t"]) for i in po_index.tolist()]
        due = [f.day(orders[i]["due"]) for i in po_index.tolist()]
        vend = np.array([orders[i]["vendor"] for i in po_index.tolist()], dtype=np.int64)
        rows = []
        ssku = g.supplier_sku(vend, wd.sku_of_pair[pair])
        prices = g.unit_price(pair)
        uoms = g.catalog.uom
        for k in range(len(pair)):
            st = status[k]
            q, r = int(ordered[k]), int(received[k])
            if st in ("shipped", "partly_received", "received"):
                shipped = q
            elif st == "partly_shipped":
                shipped = q if (n_lines[k] > 1 and line_no[k] == 1) else (max(1, q // 2) if n_lines[k] == 1 else 0)
            else:
                shipped = 0
            shipped = max(shipped, r)
            line_status = "cancelled" if st in ("cancelled", "rejected") else ("closed" if r >= q else "open")
            pr = int(pair[k])
            primary = wd.vendor_of_pair[pr] == vend[k]
            rows.append(
                (
                    k + 1,
                    orders[int(po_index[k])]["id"],
                    int(line_no[k]),
                    int(wd.sku_of_pair[pr]) + 1,
                    pr + 1 if primary else None,
                    ssku[k],
                    uoms[int(wd.sku_of_pair[pr])],
                    q,
                    q if acked[k] else None,
                    shipped,
                    r,
                    prices[k],
                    due[k],
                    due[k] if acked[k] else None,
                    line_status,
                )
            )
        del p
        for lo in range(0, len(rows), BATCH_ROWS):
            w.insert(
                _tbl(PurchaseOrderLine),
                (
                    "id",
                    "purchase_order_id",
                    "line_no",
                    "sku_id",
                    "agreement_id",
                    "supplier_sku",
                    "uom",
                    "quantity_ordered",
                    "quantity_acknowledged",
                    "quantity_shipped",
                    "quantity_received",
                    "unit_price",
                    "need_by",
                    "expected_delivery",
                    "status",
                ),
                rows[lo : lo + BATCH_ROWS],
            )
        rrows = [
            (rid, f"RC-{rid:06d}", po, f.ts(day, 1080 if day == last_day and po > res.book.orders.n else 480), "lead")
            for rid, po, day in g.receipt_rows
        ]
        for lo in range(0, len(rrows), BATCH_ROWS):
            w.insert(
                _tbl(Receipt),
                ("id", "receipt_number", "purchase_order_id", "received_at", "received_by"),
                rrows[lo : lo + BATCH_ROWS],
            )
