"""A reference supplier for VMI Connect v1: demos, tests, and a template for suppliers.

``SupplierServer`` (stdlib ``http.server``, state in memory or a JSON file) implements the
supplier side of the contract with bearer auth, idempotency keys, an event
feed, simple replenishment of its own, and fault injection for tests.
"""

from __future__ import annotations

from vmi_desktop.supplier_server.server import SupplierServer
from vmi_desktop.supplier_server.state import Fault, SupplierState

__all__ = ["Fault", "SupplierServer", "SupplierState"]
