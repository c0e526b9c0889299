"""What a supplier can make one HTTP call cost: a total deadline, and a cap on the bytes it answers.

httpx's time-outs are per socket operation: a supplier sending one byte every few seconds keeps a
call alive for ever. ``deadline(seconds)`` sets a total deadline for everything done inside it
(connect, TLS, every read and write of every request, an OAuth2 token fetch included); the network
backend installed by ``install_deadlines`` gives each socket operation only the time that is left,
and fails it with httpx's own time-out exception once there is none.

``read_body`` streams an answer with a byte cap on what comes off the wire *and* on what it
decompresses to (a gzip bomb stops at the cap, not at 512 MB).
"""

from __future__ import annotations

import contextvars
import math
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from vmi_desktop.errors import VmiError

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("vmi_sync_deadline", default=None)


class AnswerTooLarge(VmiError):
    """An answer (after decompression) larger than the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit:,} bytes (after decompression); nothing of it was used")
        self.limit = limit


class UnsupportedEncoding(VmiError):
    """An answer in a Content-Encoding the client never asked for."""


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Everything on the network inside this block ends within ``seconds`` (monotonic) from now."""
    at = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(at, outer))
    try:
        yield at
    finally:
        _DEADLINE.reset(token)


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise expired("the call took longer than its deadline")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadlines(client: httpx.Client) -> httpx.Client:
    """Make every transport of ``client`` (proxies from the environment included) honour ``deadline``.

    httpx does not expose httpcore's ``network_backend`` argument, so the backend of each
    transport's connection pool is wrapped in place; should a future httpx move it, this fails
    loudly here (and in the tests) rather than silently dropping the deadline.
    """
    transports = [client._transport, *(t for t in client._mounts.values() if t is not None)]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            raise RuntimeError(f"cannot install call deadlines on {type(transport).__name__}; httpx changed")
        if not isinstance(pool._network_backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(pool._network_backend or httpcore.SyncBackend())
    return client


def _decoder(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise UnsupportedEncoding(f"the answer is encoded as {encoding!r}, which was not asked for")


#: Bytes inflated per step of a compressed answer.
_INFLATE_STEP = 1024 * 1024


def read_body(response: httpx.Response, *, limit: int) -> bytes:
    """The body of a streamed ``response``, decoded, at most ``limit`` bytes; ``AnswerTooLarge`` past it."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge(limit)
    decoder = _decoder(response.headers.get("Content-Encoding", ""))
    body = bytearray()
    try:
        for chunk in response.iter_raw(chunk_size=64 * 1024):
            if decoder is None:
                body += chunk
            else:
                pending = chunk
                while pending:  # in slices: a bomb never expands past the limit, nor all at once
                    body += decoder.decompress(pending, min(_INFLATE_STEP, limit - len(body) + 1))
                    if len(body) > limit:
                        break
                    pending = decoder.unconsumed_tail
            if len(body) > limit:
                body.clear()  # not kept alive by the exception's frame while the caller retries
                raise AnswerTooLarge(limit)
        if decoder is not None:
            body += decoder.flush()
    except zlib.error as exc:
        encoding = response.headers.get("Content-Encoding")
        raise UnsupportedEncoding(f"the answer is not valid {encoding} ({exc})") from None
    if len(body) > limit:
        raise AnswerTooLarge(limit)
    return bytes(body)


def remaining() -> float:
    """Seconds left before the current deadline (infinite outside ``deadline``)."""
    at = _DEADLINE.get()
    return math.inf if at is None else max(0.0, at - time.monotonic())
