"""Replenishment: reorder evaluation, purchase orders, supplier-raised orders, alerts and metrics.

Pure domain code over SQLAlchemy sessions (no Qt), callable from the CLI, the UI
workers and the sync layer. Each function works inside the caller's transaction.
"""

from __future__ import annotations
