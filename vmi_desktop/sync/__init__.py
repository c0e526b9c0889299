"""VMI Connect v1 client side: HTTP client, durable outbox and inbox, sync engine (no Qt).

Modules: ``auth`` (credentials and authentication), ``client`` (HTTP), ``payloads``
(scoped outbound message bodies), ``outbox`` (durable queue of messages), ``inbox``
(applying pulled events once), ``dispatch`` (event kinds to domain services),
``engine`` (one sync run per vendor).
"""

from __future__ import annotations
