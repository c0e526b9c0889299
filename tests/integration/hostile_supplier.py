"""A hostile VMI Connect supplier on loopback: it answers what a broken or malicious supplier can send.

Separate from the reference server on purpose: the reference server is a template for suppliers
and always speaks the contract; this one is a plain ``ThreadingHTTPServer`` whose ``/v1/events``
answer is chosen by the test (``serve_*``), byte for byte. POSTs are accepted (202) and recorded
with their headers, so a test can also check what the client sent.

The feed is a list of raw JSON events (``bytes``): a test can put in anything at all, including
JSON that the app's own encoder would never produce (deep nesting, 1e300, an event of 300 kB).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tests.world import World, build_world
from vmi_desktop.db import Database
from vmi_desktop.models import AuthKind, Vendor

TOKEN = "hostile-tok-9f3-secret"

#: ``answer(handler, after, limit)`` writes the whole HTTP answer to an events request itself.
EventsAnswer = Callable[["_Handler", str | None, int], None]


def event(
    event_type: str, data: Any, event_id: str, *, occurred_at: Any = "2026-11-24T08:30:00Z", **extra: Any
) -> bytes:
    """One event as raw JSON (Python's encoder: 1e300 and friends go out as written)."""
    body = {"event_id": event_id, "type": event_type, "occurred_at": occurred_at, "data": data, **extra}
    return json.dumps(body).encode()


def proposal(event_id: str, sku: str = "P-1", mn: int = 2, mx: int = 40, reason: str = "") -> bytes:
    """A well-formed threshold proposal for one of ACME's pairs at WH-1."""
    return event(
        "thresholds.proposed",
        {"location_code": "WH-1", "sku": sku, "min": mn, "max": mx, "reason": reason or event_id},
        event_id,
    )


def page_bytes(events: list[bytes], next_cursor: str | None, has_more: bool) -> bytes:
    """A page around raw events (nothing re-encoded)."""
    tail = json.dumps({"next_cursor": next_cursor, "has_more": has_more})[1:]
    return b'{"events": [' + b",".join(events) + b"], " + tail.encode()


def gzip_bomb(decompressed: int, *, chunk: int = 1 << 20) -> bytes:
    """A valid gzip stream of a JSON page padded with ``decompressed`` bytes of spaces (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"events": [], "next_cursor": null, "has_more": false')]
    spaces = b" " * chunk
    for _ in range(decompressed // chunk):
        parts.append(packer.compress(spaces))
    parts.append(packer.compress(b"}"))
    parts.append(packer.flush())
    return b"".join(parts)


def deep_nesting(depth: int) -> bytes:
    """``[[[...]]]`` nested ``depth`` deep."""
    return b"[" * depth + b"]" * depth


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A whole answer with Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def trickle(self, raw: bytes, interval: float) -> None:
        """Write ``raw`` (status line, headers and body) one byte per ``interval`` seconds."""
        self.close_connection = True
        for i in range(len(raw)):
            if self.server.supplier.stopping.wait(interval):
                return
            try:
                self.wfile.write(raw[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up: what the test wants
                self.server.supplier.count("trickle_abandoned")
                return

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        supplier = self.server.supplier
        parts = urlsplit(self.path)
        supplier.record(self, "GET", parts.path, b"", parse_qs(parts.query))
        if parts.path == "/v1/health":
            self.answer(200, b'{"status": "ok", "supplier": "Hostile", "protocol": "vmi-connect/1"}')
            return
        if parts.path != "/v1/events":
            self.answer(404, b'{"error": "no such endpoint"}')
            return
        query = parse_qs(parts.query)
        after = query.get("after", [None])[0]
        limit = int(query.get("limit", ["100"])[0])
        supplier.events_answer(self, after, limit)

    def do_POST(self) -> None:
        supplier = self.server.supplier
        body = self._read_body()
        supplier.record(self, "POST", urlsplit(self.path).path, body)
        if supplier.post_answer is not None:
            supplier.post_answer(self, body)
            return
        try:
            lines = len(json.loads(body).get("lines", [1]))
        except (ValueError, AttributeError):
            lines = 0
        self.answer(202, json.dumps({"accepted": lines}).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    supplier: HostileSupplier

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up on a hostile server are the point


@dataclass
class Request:
    """What the client sent (headers lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, list[str]] = field(default_factory=dict)
    #: ``time.monotonic()`` when the request line and headers had arrived
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HostileSupplier:
    """A supplier whose event feed answer is scripted by the test; see the module docstring."""

    feed: list[bytes] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.events_answer: EventsAnswer = self._normal
        #: ``post_answer(handler, body)`` answers POSTs instead of the plain 202 when set.
        self.post_answer: Callable[[_Handler, bytes], None] | None = None
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.supplier = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HostileSupplier:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    def record(
        self, handler: _Handler, method: str, path: str, body: bytes, query: dict[str, list[str]] | None = None
    ) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            self.counts[f"{method} {path}"] += 1
            self.requests.append(Request(method, path, headers, body, query or {}))

    def posts(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path == path]

    # -- what GET /v1/events answers ---------------------------------------------------------------

    def _slice(self, after: str | None, limit: int) -> tuple[list[bytes], str | None, bool]:
        start = int(after) if after else 0
        chunk = self.feed[start : start + limit]
        end = start + len(chunk)
        return chunk, str(end), end < len(self.feed)

    def _normal(self, handler: _Handler, after: str | None, limit: int) -> None:
        handler.answer(200, page_bytes(*self._slice(after, limit)))

    def serve_normal(self) -> None:
        """The feed, paged by ``after`` (an index) and ``limit``, as the contract says."""
        self.events_answer = self._normal

    def serve_raw(self, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        """The same answer to every events request, byte for byte."""
        self.events_answer = lambda handler, after, limit: handler.answer(status, body, headers)

    def serve_slow_loris(self, interval: float, *, body: bytes | None = None, head_first: bool = False) -> None:
        """A valid answer whose every byte takes ``interval`` seconds to arrive (the status line first,
        or, with ``head_first``, after headers sent at once)."""

        def answer(handler: _Handler, after: str | None, limit: int) -> None:
            payload = body if body is not None else page_bytes(*self._slice(after, limit))
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            if head_first:
                handler.wfile.write(head.encode())
                handler.wfile.flush()
                handler.trickle(payload, interval)
            else:
                handler.trickle(head.encode() + payload, interval)

        self.events_answer = answer

    def serve_endless(self) -> None:
        """Every page holds one new, valid event and says ``has_more`` with a new cursor, for ever."""

        def answer(handler: _Handler, after: str | None, limit: int) -> None:
            n = int(after or 0) + 1
            handler.answer(200, page_bytes([proposal(f"endless-{n}", mn=n % 7)], str(n), True))

        self.events_answer = answer

    def serve_replayed(self, *, pages: int) -> None:
        """Whatever the cursor, the first page again, under ``pages`` different cursors, then the end."""

        def answer(handler: _Handler, after: str | None, limit: int) -> None:
            n = int(after or 0) + 1
            events = self.feed[:limit]
            handler.answer(200, page_bytes(events, str(n), n < pages))

        self.events_answer = answer

    def serve_gzip(self, body: bytes) -> None:
        """A gzip-encoded answer (``body`` is already compressed: see ``gzip_bomb``)."""
        self.serve_raw(body, headers={"Content-Encoding": "gzip"})


@dataclass
class HostileRig:
    """A small world whose vendor ACME is connected (bearer) to a hostile supplier."""

    db: Database
    world: World
    supplier: HostileSupplier

    @property
    def acme(self) -> int:
        return self.world.vendors["ACME"]


@contextmanager
def hostile_rig(db: Database) -> Iterator[HostileRig]:
    """``build_world`` with ACME pointed at a fresh hostile supplier on a free loopback port."""
    supplier = HostileSupplier().start()
    try:
        with db.transaction() as s:
            world = build_world(s)
            acme = s.scalars(select(Vendor).where(Vendor.code == "ACME")).one()
            acme.base_url = supplier.url
            acme.auth_kind = AuthKind.BEARER
        yield HostileRig(db, world, supplier)
    finally:
        supplier.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
