"""Running a command's unit of work, retrying what the database says may simply be run again."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from vmi_desktop.db import Database, UnitOfWork
from vmi_desktop.db.errors import classify, is_database_error, is_retryable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How many times a unit of work is tried before its conflict is reported.
ATTEMPTS = 5


def run(db: Database, work: Callable[[UnitOfWork], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work`` in a fresh unit of work; commit, or roll back everything and raise.

    A deadlock, a serialization failure or a busy database is retried after a short jittered pause
    (the whole unit again: every read is repeated, nothing of the failed try is kept). Any other
    database error, or a retryable one that outlived its attempts, is raised as our
    ``DatabaseError`` with one sentence; our own ``VmiError``s pass through unchanged.
    """
    for attempt in range(1, attempts + 1):
        try:
            with db.unit_of_work() as uow:
                return work(uow)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            if attempt < attempts and is_retryable(exc):
                pause = random.uniform(0, 0.05 * 2**attempt)
                log.info(
                    "unit of work conflicted (%s); retry %d of %d in %.0f ms", exc, attempt, attempts, pause * 1000
                )
                time.sleep(pause)
                continue
            raise classify(exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


Target = Database | UnitOfWork


def within(target: Target, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in its own retried transaction (given a ``Database``) or in a caller's unit of work.

    A larger unit (a count sheet, a page of supplier events) passes its ``UnitOfWork`` so that all
    its steps commit or roll back together.
    """
    if isinstance(target, Database):
        return run(target, work)
    return work(target)
