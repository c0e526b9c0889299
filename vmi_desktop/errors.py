"""The app's own exceptions: each message says what was rejected and why."""

from __future__ import annotations


class VmiError(Exception):
    """Base of errors a person can act on; the message is shown as it is."""


class ValidationError(VmiError):
    """Input that makes no sense (negative quantity, min above max, unknown code)."""


class NotFoundError(ValidationError):
    """A SKU, location, vendor or order that does not exist."""


class PermissionDenied(VmiError):
    """The user's role or scope does not allow this."""


class ConflictError(VmiError):
    """Someone else changed the record first; reload before saving."""


class IllegalTransitionError(ValidationError):
    """A status change the order's status machine does not allow."""
