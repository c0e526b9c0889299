"""VMI Desktop: vendor-managed inventory for field-service parts managers."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "VMI Desktop"
APP_ID = "vmi-desktop"
