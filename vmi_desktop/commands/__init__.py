"""Application commands: what a user (in the window or on the command line) or a vendor's sync asks for.

A command owns its transaction. It calls the domain in the order a reader expects and each
consequence where it can be seen::

    post a consumption  ->  ledger.post_consumption
                        ->  reorder.evaluate(the touched pairs)
                        ->  outbox.enqueue_purchase_order(for each order raised as sent)
                        ->  uow.changes (delivered to the Database's observers after the commit)

Everything happens in one unit of work (``Database.unit_of_work``): when any step fails nothing is
written, no message is queued and no observer hears of it. Deadlocks, serialization failures and a
busy SQLite file are retried a bounded number of times (``run``); what still fails is raised as one
of our errors with one sentence (``db.errors.classify``).

``vmi_desktop.commands.stock`` posts to the ledger; ``vmi_desktop.commands.orders`` moves orders;
``vmi_desktop.commands.reorder`` runs the reorder check. The ``*_in`` variants take a ``UnitOfWork``
so that a larger unit (a count sheet, a page of supplier events) can run several steps in one
transaction.
"""

from __future__ import annotations

from vmi_desktop.commands.run import run

__all__ = ["run"]
