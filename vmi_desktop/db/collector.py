"""The cyclic garbage collector held off while a unit of work builds its many short-lived objects.

A page of supplier events allocates some hundred thousand objects (ORM states, row dicts, Decimals,
statements) that all live until its commit. CPython's collector runs every 700 allocations and,
as these survive, promotes and rescans them, the whole heap with them several times per page: a
tenth of the page's CPU on the mixed event bench, for garbage that is freed by reference counting
anyway once the page is done. ``collector_paused`` turns automatic collection off for the span of
such work and back on afterwards (only when it was on: a caller that disabled it keeps it off).

Process-wide and thread-safe: nested and concurrent pauses (two vendors' pulls) share one count;
collection resumes when the last one ends, unless the desktop app collects on its UI thread
(``hold_for_ui_thread``, ``ui.garbage``): then automatic collection stays off throughout. Nothing is
freed later than it would be by reference counting; only cycles wait, for at most one pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_held_for_ui = False


def hold_for_ui_thread(held: bool) -> None:
    """Automatic collection off for good (``held``: the UI thread collects) or back on (``not held``).

    A pause that began before the hold does not turn it back on when it ends.
    """
    global _held_for_ui, _was_enabled
    with _lock:
        _held_for_ui = held
        if held:
            _was_enabled = False
            gc.disable()
        elif _depth == 0:
            gc.enable()
        else:  # the last pause to end turns it on
            _was_enabled = True


def collect_due() -> int:
    """While held for the UI thread: collect the generations whose thresholds are crossed, as the
    automatic collector would; returns the generation collected (-1: none, or not held)."""
    if not _held_for_ui:
        return -1
    first, second, third = gc.get_threshold()
    young, middle, old = gc.get_count()
    if young < first:
        return -1
    generation = 0
    if middle >= second:
        generation = 1
        if old >= third:
            generation = 2
    gc.collect(generation)
    return generation


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic garbage collection off while the block runs (see the module docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled and not _held_for_ui:
                gc.enable()
