"""Wiring of the domain's cross-cutting hooks for a running app (GUI or CLI).

After every ledger posting the reorder check runs for the touched pair, and
sync queues purchase orders, cancels, receipts and delta stock reports in
the same transaction. Tests and bulk tools can leave these off.
"""

from __future__ import annotations


def install_domain_hooks() -> None:
    """Register the reorder-after-posting hook and the sync outbox hooks (idempotent)."""
    from vmi_desktop.replenishment.reorder import install_reorder_hook
    from vmi_desktop.sync import hooks

    install_reorder_hook()
    hooks.install()


def uninstall_domain_hooks() -> None:
    """Remove what ``install_domain_hooks`` registered."""
    from vmi_desktop.replenishment.reorder import uninstall_reorder_hook
    from vmi_desktop.sync import hooks

    uninstall_reorder_hook()
    hooks.uninstall()
