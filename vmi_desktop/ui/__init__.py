"""Qt user interface. Only this package imports Qt; it calls the domain through thin layers."""

from vmi_desktop.ui import qtcompat as _qtcompat

_qtcompat.install()  # PySide6 6.12 signal refcount work-around, before any signal is emitted
