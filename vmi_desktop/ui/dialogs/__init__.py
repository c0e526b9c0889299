"""Dialogs, one module each: master data (``entity``), bulk threshold edits (``bulk``), the worklist's
confirmations (``worklist``), import, login, credentials...

Import a dialog from its own module: this package imports none of them, so opening one dialog's
module (the worklist's, at start) does not import the others (``catalog_service`` and the rest).
"""
