"""File exchange with suppliers that have no VMI Connect API: EDI X12 004010, EDIFACT D96A and CSV files.

The codecs (``x12``, ``edifact``, ``csvx``) are pure: typed messages (``messages``) in, bytes out,
and bytes in, typed messages or an ``ExchangeError`` with the reason out. They carry the same
content as the REST bodies and events of VMI Connect v1 (``../shared/docs/vmi-connect-v1.md``);
``docs/file-exchange.md`` is the implementation guide a partner reads. The folder connector
(``folder``) moves those bytes through ``<exchange folder>/outbound``, ``inbound``, ``archive`` and
``rejected``; ``partner`` plays the supplier's side for demos and tests.
"""

from __future__ import annotations

from vmi_desktop.exchange.errors import ExchangeError

__all__ = ["ExchangeError"]
