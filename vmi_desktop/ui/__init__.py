"""Qt user interface. Only this package imports Qt; it calls the domain through thin layers."""
