"""The one error a codec raises: the file (or one message in it) cannot be read or written, and why."""

from __future__ import annotations

from vmi_desktop.errors import VmiError


class ExchangeError(VmiError):
    """A file or message that is not what the implementation guide says; the message says what is wrong.

    ``segment`` is the 1-based position of the offending segment (or CSV row) when known, so the
    reason a person reads in ``rejected/<file>.reason.txt`` points at the place.
    """

    def __init__(self, reason: str, *, segment: int | None = None) -> None:
        super().__init__(f"{reason} (segment {segment})" if segment is not None else reason)
        self.reason = reason
        self.segment = segment
