"""The warehouse lead's stock forms (consume, receive, adjust, transfer, count sheet, ledger history)."""

from __future__ import annotations

#: (form key, menu text, shortcut): the Stock menu, in tab order (read by the window before the page is built).
FORMS: tuple[tuple[str, str, str], ...] = (
    ("consume", "&Consume parts…", "Ctrl+Shift+C"),
    ("receive", "&Receive goods…", "Ctrl+Shift+R"),
    ("adjust", "&Adjust stock…", "Ctrl+Shift+A"),
    ("transfer", "&Transfer stock…", "Ctrl+Shift+T"),
    ("count", "Cycle &count sheet…", "Ctrl+Shift+K"),
    ("history", "Ledger &history…", "Ctrl+Shift+H"),
)
