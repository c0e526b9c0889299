"""Demand history for tests: consumption ledger rows written set-based, one per day with demand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from vmi_desktop.models import MovementKind, StockMovement


def post_consumption(session: Session, sku_id: int, location_id: int, daily: np.ndarray, end: date) -> None:
    """One consumption movement at noon UTC for each day with demand; ``daily[-1]`` is the day before ``end``."""
    first = end - timedelta(days=len(daily))
    rows = [
        {
            "sku_id": sku_id,
            "location_id": location_id,
            "kind": MovementKind.CONSUMPTION,
            "quantity": -Decimal(int(q)),
            "on_hand_after": Decimal(0),
            "occurred_at": datetime(first.year, first.month, first.day, 12, tzinfo=UTC) + timedelta(days=int(k)),
            "recorded_by": "history",
        }
        for k, q in enumerate(daily)
        if q > 0
    ]
    if rows:
        session.execute(insert(StockMovement), rows)


def patterns(days: int = 730, seed: int = 1) -> dict[str, np.ndarray]:
    """Three hand-made series: steady (3 a day), every tenth day (5), lumpy random."""
    rng = np.random.default_rng(seed)
    tenth = np.zeros(days)
    tenth[9::10] = 5
    lumpy = np.where(rng.random(days) < 0.15, rng.integers(1, 12, days), 0).astype(float)
    return {"steady": np.full(days, 3.0), "tenth": tenth, "lumpy": lumpy}
