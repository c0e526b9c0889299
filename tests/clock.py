"""Clocks a test moves by hand, for code that takes a ``clock`` instead of reading the time itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class ManualClock:
    """Monotonic seconds that move only when the test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "a monotonic clock never goes back"
        self.now += seconds


@dataclass
class ManualUtcClock:
    """Aware UTC datetimes that move only when the test says so."""

    now: datetime

    def __post_init__(self) -> None:
        assert self.now.utcoffset() == timedelta(0), "timestamps are aware UTC"

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
