"""Suggested thresholds for supply agreements: read the ledger, suggest, replay, apply.

The CLI (``vmi-desktop thresholds suggest``) and the Agreements page's "Suggest thresholds…"
dialog both call this module. For each selected agreement it reads the pair's daily consumption
from the stock ledger (one grouped query per chunk of pairs), asks ``policy`` for a min/max at the
target fill rate (or ``system`` for an aggregate target over the selection), and replays the
current and the suggested thresholds on the last ``replay_days`` of that history with the
agreement's lead time, pack and MOQ (``replay``). The replay runs on the history the suggestion
learned from: it shows how the thresholds would have worked, not a forecast.

Applying goes through ``catalog_service.update_agreement`` row by row (validated, version-checked,
audited as the acting user) in the caller's transaction, plus one audit entry for the batch; what
it returns is enough to put every row back the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.catalog_service import update_agreement
from vmi_desktop.db.sqlfuncs import day_of
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.models import Location, MovementKind, Sku, StockMovement, SupplyAgreement, Vendor, utcnow
from vmi_desktop.queries._sql import as_date
from vmi_desktop.replenishment import policy, system
from vmi_desktop.replenishment.replay import ReplayResult, replay
from vmi_desktop.scope import Action, Actor, require, vendor_filter
from vmi_desktop.units import is_whole

Progress = Callable[[float, str], None]
#: Pairs computed at once (a history matrix of this many rows).
CHUNK = 1500
#: Up to this many pairs the whole selection's history is read at once (one pass when it is large).
_READ_AT_ONCE = 40_000
_IN_LIST = 500
#: Above this many pairs the history is read in one pass over the window rather than by pair lists.
_SCAN_ABOVE = 1500


@dataclass(frozen=True)
class AgreementTerms:
    """What a suggestion and a replay need of one agreement, as read."""

    agreement_id: int
    version: int
    vendor_code: str
    sku_id: int
    location_id: int
    part_number: str
    location_code: str
    uom: str
    whole: bool
    lead_time_days: int
    pack_size: Decimal
    moq: Decimal
    unit_cost: Decimal
    min_qty: Decimal
    max_qty: Decimal


@dataclass(frozen=True)
class ReplayFigures:
    """One policy replayed on one pair: fill rate (None without demand), stock-out days, stock value, orders."""

    fill_rate: float | None
    demanded: float
    filled: float
    stockout_days: int
    on_hand_value: float
    orders: int


@dataclass(frozen=True)
class Suggestion:
    """Current and suggested thresholds of one agreement, each replayed on its history."""

    terms: AgreementTerms
    demand_class: str
    mean_daily: float
    suggested_min: Decimal
    suggested_max: Decimal
    expected_fill: float
    current: ReplayFigures
    suggested: ReplayFigures

    @property
    def changes(self) -> bool:
        """Whether applying it would change the agreement."""
        return (self.suggested_min, self.suggested_max) != (self.terms.min_qty, self.terms.max_qty)


@dataclass(frozen=True)
class Totals:
    """A replay summed over pairs: unit fill rate, stock-out days, mean stock value, orders."""

    fill_rate: float | None
    stockout_days: int
    on_hand_value: float
    orders: int


@dataclass
class SuggestionRun:
    """The suggestions for a selection and how they were made."""

    suggestions: list[Suggestion]
    target: float
    system: bool
    review_days: int
    keep_cycle: bool
    history_start: date
    history_days: int
    replay_days: int
    expected_aggregate_fill: float | None = None

    def totals(self, which: str) -> Totals:
        """``current`` or ``suggested`` summed over every pair."""
        figures = [getattr(s, which) for s in self.suggestions]
        demanded = sum(f.demanded for f in figures)
        return Totals(
            fill_rate=sum(f.filled for f in figures) / demanded if demanded > 0 else None,
            stockout_days=sum(f.stockout_days for f in figures),
            on_hand_value=sum(f.on_hand_value for f in figures),
            orders=sum(f.orders for f in figures),
        )


@dataclass(frozen=True)
class AppliedEdit:
    """One agreement an applied batch changed: the version it left and the fields as they were."""

    edit_id: int
    version: int
    previous: dict[str, Any]
    new: dict[str, Any]


@dataclass(frozen=True)
class AppliedBatch:
    """What ``apply_suggestions`` changed, in the shape the table model's batch undo takes back."""

    entity: str
    label: str
    edits: list[AppliedEdit] = field(default_factory=list)


@dataclass(frozen=True)
class ThresholdTrace:
    """One pair's replay day by day (for the chart): demand and on hand under both policies."""

    days: list[date]
    demand: npt.NDArray[np.float64]
    current_on_hand: npt.NDArray[np.float64]
    suggested_on_hand: npt.NDArray[np.float64]


def select_agreements(
    session: Session,
    actor: Actor,
    *,
    agreement_ids: Sequence[int] | None = None,
    vendor: str | None = None,
    location: str | None = None,
) -> list[AgreementTerms]:
    """Active agreements (of active SKUs at active locations) within ``actor``'s scope, by id or filter."""
    stmt = (
        select(
            SupplyAgreement.id,
            SupplyAgreement.version,
            Vendor.code.label("vendor_code"),
            SupplyAgreement.sku_id,
            SupplyAgreement.location_id,
            Sku.part_number,
            Location.code.label("location_code"),
            Sku.uom,
            SupplyAgreement.lead_time_days,
            SupplyAgreement.pack_size,
            SupplyAgreement.moq,
            Sku.unit_cost,
            SupplyAgreement.unit_price,
            SupplyAgreement.min_qty,
            SupplyAgreement.max_qty,
        )
        .join(Vendor, Vendor.id == SupplyAgreement.vendor_id)
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .where(
            SupplyAgreement.active.is_(True),
            Sku.active.is_(True),
            Location.active.is_(True),
            vendor_filter(actor, SupplyAgreement.vendor_id),
        )
        .order_by(Sku.part_number, Location.code, Vendor.code)
    )
    if vendor is not None:
        if session.scalar(select(Vendor.id).where(Vendor.code == vendor)) is None:
            raise NotFoundError(f"unknown vendor {vendor!r}")
        stmt = stmt.where(Vendor.code == vendor)
    if location is not None:
        if session.scalar(select(Location.id).where(Location.code == location)) is None:
            raise NotFoundError(f"unknown location {location!r}")
        stmt = stmt.where(Location.code == location)
    rows: list[Any] = []
    if agreement_ids is None:
        rows = list(session.execute(stmt))
    else:
        ids = sorted(set(agreement_ids))
        for start in range(0, len(ids), _IN_LIST):
            rows.extend(session.execute(stmt.where(SupplyAgreement.id.in_(ids[start : start + _IN_LIST]))))
        rows.sort(key=lambda r: (r.part_number, r.location_code, r.vendor_code))
    whole: dict[str, bool] = {}
    terms = []
    for r in rows:
        if r.uom not in whole:
            whole[r.uom] = is_whole(session, r.uom)
        terms.append(
            AgreementTerms(
                agreement_id=r.id,
                version=r.version,
                vendor_code=r.vendor_code,
                sku_id=r.sku_id,
                location_id=r.location_id,
                part_number=r.part_number,
                location_code=r.location_code,
                uom=r.uom,
                whole=whole[r.uom],
                lead_time_days=r.lead_time_days,
                pack_size=r.pack_size,
                moq=r.moq,
                # stock is valued at the SKU's cost; without one, at what the agreement pays
                unit_cost=r.unit_cost if r.unit_cost > 0 else r.unit_price,
                min_qty=r.min_qty,
                max_qty=r.max_qty,
            )
        )
    return terms


def daily_consumption(
    session: Session, pairs: Sequence[tuple[int, int]], start: date, days: int
) -> npt.NDArray[np.float64]:
    """Units consumed per UTC day (pairs x days, from ``start``) from the ledger's consumption rows."""
    matrix = np.zeros((len(pairs), days))
    if not pairs or days <= 0:
        return matrix
    row_of: dict[tuple[int, int], list[int]] = {}
    for i, pair in enumerate(pairs):
        row_of.setdefault(pair, []).append(i)
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    end = first + timedelta(days=days)
    day = day_of(session, StockMovement.occurred_at)
    base = (
        select(StockMovement.sku_id, StockMovement.location_id, day, -func.sum(StockMovement.quantity))
        .where(
            StockMovement.kind == MovementKind.CONSUMPTION,
            StockMovement.occurred_at >= first,
            StockMovement.occurred_at < end,
        )
        .group_by(StockMovement.sku_id, StockMovement.location_id, day)
    )
    distinct = sorted(row_of)
    if len(distinct) > _SCAN_ABOVE:
        # many pairs: one pass over the window's consumption beats many IN lists (pairs not asked for are skipped)
        statements = [base]
    else:
        statements = [
            base.where(tuple_(StockMovement.sku_id, StockMovement.location_id).in_(distinct[k : k + _IN_LIST]))
            for k in range(0, len(distinct), _IN_LIST)
        ]
    for stmt in statements:
        for sku_id, location_id, when, quantity in session.connection().execute(stmt):
            rows = row_of.get((sku_id, location_id))
            index = (as_date(when) - start).days
            if rows is not None and 0 <= index < days:
                for row in rows:
                    matrix[row, index] = float(quantity)
    return matrix


def _figures(result: ReplayResult, i: int, cost: Decimal) -> ReplayFigures:
    demanded = float(result.demanded[i])
    return ReplayFigures(
        fill_rate=float(result.filled[i]) / demanded if demanded > 0 else None,
        demanded=demanded,
        filled=float(result.filled[i]),
        stockout_days=int(result.stockout_days[i]),
        on_hand_value=float(result.mean_on_hand[i]) * float(cost),
        orders=int(result.orders[i]),
    )


def _check(target: float, review_days: int, history_days: int, replay_days: int) -> None:
    if not 0 < target <= 1:
        raise ValidationError(f"the target fill rate is a share above 0 and at most 1, got {target}")
    if not 1 <= review_days <= 365:
        raise ValidationError(f"the order cycle is 1 to 365 days of demand, got {review_days}")
    if not 28 <= history_days <= 3650:
        raise ValidationError(f"the history is 28 to 3650 days, got {history_days}")
    if not 1 <= replay_days <= history_days:
        raise ValidationError(f"the replay covers 1 to {history_days} days (the history), got {replay_days}")


def suggest_thresholds(
    session: Session,
    actor: Actor,
    *,
    agreement_ids: Sequence[int] | None = None,
    vendor: str | None = None,
    location: str | None = None,
    target: float = 0.95,
    system_mode: bool = False,
    review_days: int = 14,
    keep_cycle: bool = False,
    history_days: int = 730,
    replay_days: int = 365,
    today: date | None = None,
    report: Progress | None = None,
) -> SuggestionRun:
    """Suggested min/max for the selected agreements, each replayed beside the current ones.

    The history is the ``history_days`` whole days before ``today`` (UTC). Max - min is
    ``review_days`` of mean demand, or with ``keep_cycle`` each agreement's current max - min (the
    fair comparison: the same order cycle, so a lower stock is not bought by ordering more often).
    With ``system_mode`` the target is the aggregate unit fill over the selection.
    ``report(fraction, text)`` may raise to cancel.
    """
    _check(target, review_days, history_days, replay_days)
    terms = select_agreements(session, actor, agreement_ids=agreement_ids, vendor=vendor, location=location)
    end = today or utcnow().date()
    start = end - timedelta(days=history_days)
    mins: list[npt.NDArray[np.float64]] = []
    cycles: list[npt.NDArray[np.float64]] = []
    batches: list[policy.SuggestionBatch] = []
    replay_rows: list[npt.NDArray[np.float64]] = []
    total = max(len(terms), 1)
    whole_history = None
    if len(terms) <= _READ_AT_ONCE:
        if report is not None:
            report(0.0, f"reading the history of {len(terms):,} agreements")
        whole_history = daily_consumption(session, [(t.sku_id, t.location_id) for t in terms], start, history_days)
    for chunk_start in range(0, len(terms), CHUNK):
        chunk = terms[chunk_start : chunk_start + CHUNK]
        if report is not None:
            report(0.9 * chunk_start / total, f"reading the history of {chunk_start:,} of {len(terms):,} agreements")
        if whole_history is not None:
            history = whole_history[chunk_start : chunk_start + len(chunk)]
        else:
            history = daily_consumption(session, [(t.sku_id, t.location_id) for t in chunk], start, history_days)
        batch = policy.suggest_many(
            history,
            [t.lead_time_days for t in chunk],
            target,
            review_days,
            pack=[float(t.pack_size) for t in chunk],
            moq=[float(t.moq) for t in chunk],
            whole=[t.whole for t in chunk],
            order_cycle=[float(t.max_qty - t.min_qty) for t in chunk] if keep_cycle else None,
            keep_curves=system_mode,
        )
        batches.append(batch)
        mins.append(batch.min_qty)
        cycles.append(batch.max_qty - batch.min_qty)
        replay_rows.append(history[:, history_days - replay_days :])
    if report is not None:
        report(0.9, f"replaying {len(terms):,} agreements")
    min_qty = np.concatenate(mins) if mins else np.zeros(0)
    cycle = np.concatenate(cycles) if cycles else np.zeros(0)
    expected = np.concatenate([b.expected_fill for b in batches]) if batches else np.zeros(0)
    means = np.concatenate([b.fit.mean for b in batches]) if batches else np.zeros(0)
    classes = np.concatenate([b.fit.demand_class for b in batches]) if batches else np.zeros(0, dtype=str)
    aggregate: float | None = None
    if system_mode and terms:
        curves = [c for b in batches for c in (b.curves or [])]
        plan = system.allocate(curves, means, [float(t.unit_cost) for t in terms], target)
        wholes = np.array([t.whole for t in terms])
        min_qty = np.where(wholes, np.ceil(plan.min_qty - 1e-9), np.ceil(plan.min_qty * 1000 - 1e-6) / 1000) + 0.0
        expected = plan.fill
        aggregate = plan.aggregate_fill
    elif terms:
        weights = means.sum()
        aggregate = float((means * expected).sum() / weights) if weights > 0 else None
    suggestions: list[Suggestion] = []
    for chunk_start in range(0, len(terms), CHUNK):
        chunk = terms[chunk_start : chunk_start + CHUNK]
        rows = slice(chunk_start, chunk_start + len(chunk))
        demand = replay_rows[chunk_start // CHUNK]
        leads = [t.lead_time_days for t in chunk]
        packs = [float(t.pack_size) for t in chunk]
        moqs = [float(t.moq) for t in chunk]
        now = replay(
            demand, [float(t.min_qty) for t in chunk], [float(t.max_qty) for t in chunk], leads, pack=packs, moq=moqs
        )
        new = replay(demand, min_qty[rows], min_qty[rows] + cycle[rows], leads, pack=packs, moq=moqs)
        for j, t in enumerate(chunk):
            i = chunk_start + j
            low = policy.to_decimal(float(min_qty[i]), whole=t.whole)
            suggestions.append(
                Suggestion(
                    terms=t,
                    demand_class=str(classes[i]),
                    mean_daily=float(means[i]),
                    suggested_min=low,
                    suggested_max=low + policy.to_decimal(float(cycle[i]), whole=t.whole),
                    expected_fill=float(expected[i]),
                    current=_figures(now, j, t.unit_cost),
                    suggested=_figures(new, j, t.unit_cost),
                )
            )
    if report is not None:
        report(1.0, f"{len(terms):,} agreements")
    return SuggestionRun(
        suggestions=suggestions,
        target=target,
        system=system_mode,
        review_days=review_days,
        keep_cycle=keep_cycle,
        history_start=start,
        history_days=history_days,
        replay_days=replay_days,
        expected_aggregate_fill=aggregate,
    )


def trace(
    session: Session, suggestion: Suggestion, *, history_start: date, history_days: int, replay_days: int
) -> ThresholdTrace:
    """Day-by-day replay of one suggestion against the current thresholds (for the chart)."""
    t = suggestion.terms
    history = daily_consumption(session, [(t.sku_id, t.location_id)], history_start, history_days)
    demand = history[0, history_days - replay_days :]
    result = replay(
        np.vstack([demand, demand]),
        [float(t.min_qty), float(suggestion.suggested_min)],
        [float(t.max_qty), float(suggestion.suggested_max)],
        t.lead_time_days,
        pack=float(t.pack_size),
        moq=float(t.moq),
        keep_on_hand=True,
    )
    assert result.on_hand is not None
    first = history_start + timedelta(days=history_days - replay_days)
    return ThresholdTrace(
        days=[first + timedelta(days=k) for k in range(replay_days)],
        demand=demand,
        current_on_hand=result.on_hand[0],
        suggested_on_hand=result.on_hand[1],
    )


@dataclass(frozen=True)
class ThresholdSetting:
    """One agreement to set: the version it was read at and the new min and max."""

    agreement_id: int
    version: int
    min_qty: Decimal
    max_qty: Decimal


def apply_suggestions(
    session: Session,
    actor: Actor,
    changes: Sequence[ThresholdSetting],
    *,
    note: str = "",
    report: Progress | None = None,
) -> AppliedBatch:
    """Set min and max of each agreement through ``catalog_service.update_agreement`` (validated,
    version-checked, audited), in the caller's transaction; one more audit entry names the batch.

    A row someone changed since it was read raises ``RowConflict`` and the caller's transaction
    rolls the whole batch back.
    """
    require(actor, Action.EDIT_AGREEMENTS)
    edits: list[AppliedEdit] = []
    for k, change in enumerate(changes):
        if report is not None and k % 50 == 0:
            report(k / max(len(changes), 1), f"{k:,} of {len(changes):,} agreements")
        before = session.get(SupplyAgreement, change.agreement_id, populate_existing=True)
        if before is None:
            raise NotFoundError(f"agreement #{change.agreement_id} does not exist (deleted meanwhile?)")
        previous = {"min_qty": before.min_qty, "max_qty": before.max_qty}
        agreement = update_agreement(
            session, actor, change.agreement_id, change.version, min_qty=change.min_qty, max_qty=change.max_qty
        )
        edits.append(
            AppliedEdit(
                edit_id=agreement.id,
                version=agreement.version,
                previous=previous,
                new={"min_qty": agreement.min_qty, "max_qty": agreement.max_qty},
            )
        )
    audit.record(
        session,
        actor,
        "agreement.apply_suggested_thresholds",
        "agreement",
        "",
        count=len(edits),
        ids=[e.edit_id for e in edits][:1000],
        note=note[:200],
    )
    label = f"suggested thresholds for {len(edits)} agreement(s)"
    return AppliedBatch(entity="agreement", label=label, edits=edits)
