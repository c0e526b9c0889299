"""HTTP front of the reference supplier: stdlib ``ThreadingHTTPServer`` on a thread.

Contract paths need ``Authorization: Bearer <token>`` and ``X-VMI-Customer``;
POSTs need an ``Idempotency-Key`` equal to the body's ``message_id``. A repeated
key is answered with the stored first answer, and nothing is applied twice
(a per-key lock also covers a retry racing a slow first attempt).

Control paths for tests and demos (same token): ``GET /_control/stats``,
``POST /_control/faults`` (a ``Fault`` as JSON), ``DELETE /_control/faults``,
``POST /_control/events`` (``{type, data}`` or a list of them: add events to the feed).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hmac
import logging
import re
import secrets
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from vmi_desktop import wire
from vmi_desktop.supplier_server.state import MAX_LIMIT, PROTOCOL, BadRequest, Fault, SupplierState

log = logging.getLogger(__name__)

_CANCEL = re.compile(r"^/v1/purchase-orders/([^/]+)/cancel$")
_POSTS = {
    "/v1/stock-reports": "stock-reports",
    "/v1/usage": "usage",
    "/v1/purchase-orders": "purchase-orders",
    "/v1/receipts": "receipts",
}
MAX_BODY = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes; with Nagle on, delayed ACKs would add ~40 ms to every answer.
    disable_nagle_algorithm = True
    _capture: dict[str, Any] | None = None
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # -- plumbing ------------------------------------------------------------------------------

    def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        capture = self._capture
        if capture is not None:
            # Recorded before the answer leaves, so a client that got its answer also sees the capture.
            self._capture = None
            answer = _loads(payload)
            if answer is not None:
                self.server.state.record_capture(dict(capture, status=status, answer=answer))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> bytes:
        raw = wire.dumpb(body)
        self._send(status, raw, headers)
        return raw

    def _error(self, status: int, reason: str) -> bytes:
        return self._json(status, {"error": reason})

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest(413, "body too large")
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError):
                raise BadRequest(400, "body is not valid gzip") from None
        return raw

    def _authorised(self) -> bool:
        expected = f"Bearer {self.server.token}"
        given = self.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), expected.encode()):
            return True
        return given.startswith("Bearer ") and self.server.valid_access_token(given[len("Bearer ") :])

    # -- dispatch --------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        base = self.server.base_path
        if base and path.startswith(base):
            path = path[len(base) :] or "/"
        try:
            body = self._body()
        except BadRequest as exc:
            self._error(exc.status, exc.reason)
            return
        if path.startswith("/_control/"):
            self._control(method, path, body)
            return
        if method == "POST" and path == "/oauth/token":
            self._token(body)
            return
        kind = self._kind(method, path)
        if kind is None:
            self._error(404, f"no such endpoint: {method} {path}")
            return
        with state.lock:
            state.received[kind] += 1
        if state.capture:
            self._capture = {
                "method": method,
                "path": path,
                "kind": kind,
                "body": _loads(body),
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        self._contract(method, path, kind, body, parts.query)
        self._capture = None

    @staticmethod
    def _kind(method: str, path: str) -> str | None:
        if method == "GET" and path == "/v1/health":
            return "health"
        if method == "GET" and path == "/v1/events":
            return "events"
        if method == "POST" and path in _POSTS:
            return _POSTS[path]
        if method == "POST" and _CANCEL.match(path):
            return "cancel"
        return None

    def _contract(self, method: str, path: str, kind: str, body: bytes, query: str) -> tuple[int, bytes] | None:
        """Answer one contract request; returns what was sent (None when the connection was dropped)."""
        state = self.server.state
        if not self._authorised():
            return 401, self._error(401, "missing or wrong bearer token")
        if not self.headers.get("X-VMI-Customer"):
            return 400, self._error(400, "X-VMI-Customer header is missing")
        fault = state.take_fault(method, path)
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "status":
                return fault.status, self._error(fault.status, "injected failure")
            elif fault.kind == "429":
                return 429, self._json(429, {"error": "slow down"}, {"Retry-After": f"{fault.retry_after:g}"})
            elif fault.kind == "drop_before":
                self._drop()
                return None
        if kind == "health":
            return 200, self._json(200, {"status": "ok", "supplier": state.name, "protocol": PROTOCOL})
        if kind == "events":
            status, raw = self._events(query)
        else:
            status, raw = self._post(path, kind, body)
        if fault is not None and fault.kind == "drop_after":
            self._drop()
            return None
        if fault is not None and fault.kind == "malformed":
            self._send(200, b'{"accepted": <garbage')
            return None
        self._send(status, raw)
        return status, raw

    def _events(self, query: str) -> tuple[int, bytes]:
        params = parse_qs(query)
        try:
            limit = int(params.get("limit", ["100"])[0])
        except ValueError:
            return 400, _dumps({"error": "limit must be an integer"})
        if not 1 <= limit <= MAX_LIMIT:
            return 400, _dumps({"error": f"limit must be between 1 and {MAX_LIMIT}"})
        try:
            page = self.server.state.page(params.get("after", [None])[0], limit)
        except BadRequest as exc:
            return exc.status, _dumps({"error": exc.reason})
        return 200, _dumps(page)

    def _post(self, path: str, kind: str, raw_body: bytes) -> tuple[int, bytes]:
        state = self.server.state
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            return 400, _dumps({"error": "Idempotency-Key header is missing"})
        if "application/json" not in self.headers.get("Content-Type", ""):
            return 400, _dumps({"error": "Content-Type must be application/json"})
        with state.key_lock(key):
            previous = state.answers.get(key)
            if previous is not None:
                with state.lock:
                    state.replayed[kind] += 1
                return previous
            try:
                body = wire.loads(raw_body)
            except (UnicodeDecodeError, ValueError):
                return 400, _dumps({"error": "body is not UTF-8 JSON"})
            if not isinstance(body, dict):
                return 422, _dumps({"error": "body must be a JSON object"})
            if body.get("message_id") != key:
                return 422, _dumps({"error": "message_id in the body must equal the Idempotency-Key"})
            match = _CANCEL.match(path)
            try:
                status, answer = state.apply(kind, body, po_number=unquote(match.group(1)) if match else "")
                result = status, _dumps(answer)
            except BadRequest as exc:
                result = exc.status, _dumps({"error": exc.reason})
            state.answers[key] = result
            return result

    def _token(self, body: bytes) -> None:
        """OAuth2 client-credentials grant (RFC 6749 section 4.4), Basic or form client authentication."""
        state = self.server.state
        with state.lock:
            state.received["token"] += 1
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                client_id = secret = ""
        if form.get("grant_type") != "client_credentials":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        expected = self.server.oauth_clients.get(client_id)
        if expected is None or not hmac.compare_digest(secret.encode(), expected.encode()):
            self._json(401, {"error": "invalid_client"})
            return
        token = self.server.issue_access_token()
        self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": self.server.token_lifetime_s})

    def _control(self, method: str, path: str, body: bytes) -> None:
        state = self.server.state
        if not self._authorised():
            self._error(401, "missing or wrong bearer token")
            return
        try:
            data = _loads(body) if body else {}
            if method == "GET" and path == "/_control/stats":
                self._json(200, state.stats())
            elif method == "POST" and path == "/_control/faults":
                state.add_fault(Fault(**data))
                self._json(200, {"ok": True})
            elif method == "DELETE" and path == "/_control/faults":
                state.clear_faults()
                self._json(200, {"ok": True})
            elif method == "POST" and path == "/_control/events" and isinstance(data, list):
                for item in data:  # many at once (benchmarks)
                    state.add_event(item["type"], item.get("data"), event_id=item.get("event_id"))
                self._json(200, {"added": len(data)})
            elif method == "POST" and path == "/_control/events":
                self._json(200, state.add_event(data["type"], data.get("data"), event_id=data.get("event_id")))
            else:
                self._error(404, f"no such control endpoint: {method} {path}")
        except (TypeError, ValueError, KeyError) as exc:
            self._error(400, f"bad control request: {exc}")


def _dumps(body: Any) -> bytes:
    return wire.dumpb(body)


def _loads(raw: bytes) -> Any:
    try:
        return wire.loads(raw)
    except ValueError:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: SupplierState
    token: str
    base_path: str
    oauth_clients: dict[str, str]
    token_lifetime_s: float
    _issued: dict[str, float]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Failed TLS handshakes and clients hanging up are routine for a test server: log, do not print.
        log.debug("request from %s failed", client_address, exc_info=True)

    def issue_access_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self._issued[token] = time.monotonic() + self.token_lifetime_s
        return token

    def valid_access_token(self, token: str) -> bool:
        with self.state.lock:
            expires = self._issued.get(token)
        return expires is not None and time.monotonic() < expires


class SupplierServer:
    """The reference supplier on ``host:port`` (port 0 picks a free one), served from a thread.

    ``base_path`` is the prefix of the contract paths (e.g. ``/vmi``); ``url`` is the base URL
    to put in the vendor's settings.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str,
        vendor_name: str = "Reference Supplier",
        base_path: str = "",
        state: SupplierState | None = None,
        capture: bool = False,
        oauth_clients: dict[str, str] | None = None,
        token_lifetime_s: float = 3600,
        ssl_context: ssl.SSLContext | None = None,
        **options: Any,
    ) -> None:
        if not token:
            raise ValueError("the reference supplier needs a bearer token")
        self.state = state or SupplierState(name=vendor_name, **options)
        self.state.capture = capture or self.state.capture
        self._server = _Server((host, port), _Handler)
        self._server.state = self.state
        self._server.token = token
        self._server.base_path = base_path.rstrip("/")
        self._server.oauth_clients = dict(oauth_clients or {})
        self._server.token_lifetime_s = token_lifetime_s
        self._server._issued = {}
        self._tls = ssl_context is not None
        if ssl_context is not None:
            # The handshake happens on the handler's thread at the first read, not in the accept loop.
            self._server.socket = ssl_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        raw = self._server.server_address[0]
        host = raw.decode() if isinstance(raw, bytes) else str(raw)
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}{self._server.base_path}"

    @property
    def token_url(self) -> str:
        """Where the OAuth2 client-credentials grant is served (with ``oauth_clients``)."""
        return f"{self.url}/oauth/token"

    def start(self) -> SupplierServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"supplier-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        """Release the socket after ``serve_forever`` returned."""
        self._server.server_close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SupplierServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Conveniences for tests and demos.

    def add_fault(self, path: str, kind: str, count: int = 1, **options: Any) -> None:
        self.state.add_fault(Fault(path=path, kind=kind, count=count, **options))

    def add_event(self, event_type: str, data: Any, *, event_id: str | None = None) -> dict[str, Any]:
        return self.state.add_event(event_type, data, event_id=event_id)
