"""Whether a PostgreSQL server offers TLS at all, asked the way libpq asks (an SSLRequest packet).

libpq's own failure for a server without TLS carries no SQLSTATE, only a sentence; asking first
lets the app say what is wrong and what to do, without reading driver messages.
"""

from __future__ import annotations

import socket
import struct

from sqlalchemy.engine import make_url

from vmi_desktop.db.engine import TLS_MODES, normalise_url, tls_defaults
from vmi_desktop.db.errors import DatabaseError, DbProblem

#: The protocol's SSLRequest code (1234 << 16 | 5679).
SSL_REQUEST = 80877103


def server_offers_tls(host: str, port: int, *, timeout: float = 5.0) -> bool | None:
    """True when the server answers an SSLRequest with 'S', False with 'N', None when it cannot be asked."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack("!ii", 8, SSL_REQUEST))
            answer = sock.recv(1)
    except OSError:
        return None
    if answer == b"S":
        return True
    if answer == b"N":
        return False
    return None


def effective_sslmode(url: str) -> str:
    """The sslmode a connection to ``url`` will use (libpq's default ``prefer`` when none is set)."""
    parsed = make_url(normalise_url(url))
    query = {k.lower(): str(v) for k, v in parsed.query.items()}
    return query.get("sslmode") or tls_defaults(url).get("sslmode") or "prefer"


def check_tls(url: str) -> None:
    """Raise ``DatabaseError`` when the connection must use TLS and the server offers none."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql" or not parsed.host or parsed.host.startswith("/"):
        return
    mode = effective_sslmode(url)
    if mode not in TLS_MODES:
        return
    port = int(parsed.port or 5432)
    if server_offers_tls(parsed.host, port) is False:
        raise DatabaseError(
            f"The PostgreSQL server {parsed.host}:{port} offers no TLS, and VMI Desktop reaches a server that is "
            f"not on this machine only over TLS with a verified certificate (sslmode={mode}). Turn on ssl in the "
            "server's postgresql.conf with a certificate for this host name; nothing was sent.",
            DbProblem.UNREACHABLE,
        )
