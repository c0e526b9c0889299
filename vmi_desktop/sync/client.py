"""The HTTP side of VMI Connect v1: one client per vendor base URL (httpx, no Qt).

Guarantees: TLS verification is always on, plain ``http://`` only reaches loopback hosts (the base
URL and the OAuth2 token URL alike), every call has a total deadline (``timeout`` seconds for
connect, TLS, the token fetch, the request and the whole answer: ``transport.deadline``), every
answer is read with a byte cap after decompression, bodies over 64 KiB are gzipped, and every
request carries the contract's headers. Errors are classified as ``TransientError`` (retry later),
``PermanentError`` (keep as failed) or ``ProtocolError`` (the supplier answered something the
contract does not allow); their text never contains a secret.
"""

from __future__ import annotations

import gzip
import logging
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec

from vmi_desktop import __version__, wire
from vmi_desktop.errors import VmiError
from vmi_desktop.models import AuthKind
from vmi_desktop.sync.auth import (
    AuthError,
    BearerAuth,
    OAuth2ClientCredentials,
    VendorCredentials,
    hold_secrets,
    install_log_redaction,
    release_secrets,
    scrub,
)
from vmi_desktop.sync.events import describe
from vmi_desktop.sync.transport import AnswerTooLarge, UnsupportedEncoding, deadline, install_deadlines, read_body
from vmi_desktop.sync.urls import InsecureUrlError, check_base_url, is_loopback_host

log = logging.getLogger(__name__)

__all__ = [
    "EventPage",
    "InsecureUrlError",
    "PermanentError",
    "PostResult",
    "ProtocolError",
    "SyncError",
    "TransientError",
    "VmiConnectClient",
    "check_base_url",
    "is_loopback_host",
]

USER_AGENT = f"vmi-desktop/{__version__}"
PROTOCOL = "vmi-connect/1"
GZIP_THRESHOLD = 64 * 1024
MAX_EVENTS_LIMIT = 500
#: Caps on what a supplier's answer may be, after decompression.
MAX_PAGE_BYTES = 16 * 1024 * 1024
MAX_EVENT_BYTES = 256 * 1024
MAX_ANSWER_BYTES = 1024 * 1024
ERROR_BODY_BYTES = 64 * 1024
#: An event page nests 6 levels (page, events, event, data, lines, line); more than this is refused.
MAX_DEPTH = 32
#: The longest cursor accepted (it is stored, and sent back in the query string).
MAX_CURSOR = 2000
#: Statuses worth retrying; everything else outside 2xx is permanent for that message.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 409, 422})


class SyncError(VmiError):
    """A supplier call failed; the message says what to do about it."""

    def __init__(
        self, message: str, *, status: int | None = None, body: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.retry_after = retry_after


class TransientError(SyncError):
    """Worth retrying later: time-out, connection error, 408/425/429/5xx, unreadable answer."""


class PermanentError(SyncError):
    """Retrying the same message cannot help (400/401/403/404/409/422 or similar)."""


class ProtocolError(SyncError):
    """The supplier answered what the contract does not allow (a malformed or oversized page).

    Nothing of that answer is used; retrying at once would get the same, so the run stops and the
    next run asks again (the cursor has not moved).
    """


class PageTooLarge(ProtocolError):
    """An event page over the byte cap: asking for fewer events may help."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class Encoded:
    """A message body as it goes on the wire: its bytes, gzip-compressed when ``gzipped``."""

    content: bytes
    gzipped: bool


def encode_body(raw: bytes) -> Encoded:
    """The JSON bytes of a body as they are posted: gzip level 1 over ``GZIP_THRESHOLD`` (the contract's 64 KiB).

    Level 1: a 1000-line report compresses 3x faster than at level 5, for about 20 % more bytes.
    """
    if len(raw) > GZIP_THRESHOLD:
        return Encoded(gzip.compress(raw, compresslevel=1), True)
    return Encoded(raw, False)


@dataclass(frozen=True)
class PostResult:
    """A successful POST: the status, the lines the supplier accepted, the raw answer (scrubbed)."""

    status: int
    accepted: int
    body: str


@dataclass(frozen=True)
class EventPage:
    """One page of the event feed; ``events`` are each event's raw JSON, as the supplier sent it."""

    events: list[bytes]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class Answer:
    """A 2xx answer, read whole within the caps."""

    status: int
    headers: httpx.Headers
    body: bytes


class _Page(msgspec.Struct):
    """``EventPage`` of the OpenAPI document; the events stay raw (each is read on its own)."""

    events: list[msgspec.Raw]
    next_cursor: str | int | None = None
    has_more: bool = False


#: What msgspec refuses in a page although only one event is wrong: a ``\\uXXXX`` escape of a UTF-16
#: surrogate (JSON's grammar allows one alone) and a raw control byte (not JSON inside a string).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_CONTROL_BYTES = re.compile(rb"[\x00-\x1f]")


def parse_page(body: bytes, *, limit: int) -> EventPage:
    """An events answer as an ``EventPage``, or ``ProtocolError`` saying what is wrong with it."""
    where = "GET /v1/events"
    try:
        wire.check_depth(body, MAX_DEPTH)
        try:
            page = msgspec.json.decode(body, type=_Page)
        except msgspec.ValidationError:
            raise
        except msgspec.DecodeError:
            page = _page_around_bad_events(body)
    except wire.WireError as exc:
        raise ProtocolError(f"{where}: the answer is refused: {exc}") from None
    except msgspec.ValidationError as exc:
        raise ProtocolError(f"{where}: the answer is not an event page ({describe(exc, 'answer')})") from None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        raise ProtocolError(f"{where}: the answer is not JSON") from None
    if len(page.events) > limit:
        raise ProtocolError(
            f"{where}: the supplier sent {len(page.events)} events where at most {limit} were asked for; "
            "none of them was applied"
        )
    cursor = None if page.next_cursor is None else str(page.next_cursor)
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise ProtocolError(f"{where}: next_cursor is {len(cursor):,} characters long (at most {MAX_CURSOR:,})")
    return EventPage([bytes(raw) for raw in page.events], cursor, page.has_more)


def answer_text(body: bytes) -> str:
    """A supplier's answer as text to keep with its message: undecodable bytes replaced, NUL spelled out."""
    return wire.nul_spelled_out(body.decode("utf-8", "replace"))


def _page_around_bad_events(body: bytes) -> _Page:
    """The page split into its events although some hold a lone surrogate escape or a raw control byte.

    Refusing the whole page would stop the vendor's feed for good at that event. Each such escape or
    byte is swapped for one of the same length (``\\u0041``, a space) only to find where each event
    begins and ends; the events themselves are handed on as the supplier sent them, so the one that is
    wrong is rejected on its own (``events.read_event``) and the rest apply. ``msgspec.DecodeError``
    when the page is not JSON for another reason.
    """
    stand_in = _CONTROL_BYTES.sub(b" ", _SURROGATE_ESCAPE.sub(rb"\\u0041", body))
    if stand_in == body:
        raise msgspec.DecodeError("not JSON")
    page = msgspec.json.decode(stand_in, type=_Page)
    events: list[msgspec.Raw] = []
    start = 0
    for raw in page.events:
        piece = bytes(raw)
        at = stand_in.index(piece, start)
        start = at + len(piece)
        events.append(msgspec.Raw(body[at:start]))
    return _Page(events, page.next_cursor, page.has_more)


class VmiConnectClient:
    """One supplier's VMI Connect endpoint, with its authentication, deadlines and caps.

    ``credentials`` are kept in memory only; ``auth_kind`` is ``none``, ``bearer`` or ``oauth2``.
    ``cert_path`` names a PEM file with the client certificate and its key for mutual TLS
    (the key's password comes from ``credentials.key_password``). ``verify`` may name a CA
    bundle (tests with a private CA); verification can not be switched off. ``timeout`` is the
    total deadline of one call. ``clock`` (monotonic seconds) times the OAuth2 token cache.
    """

    def __init__(
        self,
        base_url: str,
        customer_id: str,
        credentials: VendorCredentials,
        auth_kind: AuthKind | str = AuthKind.BEARER,
        token_url: str = "",
        client_id: str = "",
        cert_path: str = "",
        timeout: float = 10.0,
        *,
        ca_bundle: str = "",
        clock: Callable[[], float] = time.monotonic,
        max_page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.customer_id = customer_id
        self.timeout = timeout
        self.max_page_bytes = max_page_bytes
        self._secrets = credentials.secrets()
        install_log_redaction()
        kind = AuthKind(auth_kind)
        verify: ssl.SSLContext | bool = True
        if cert_path or ca_bundle:
            context = ssl.create_default_context(cafile=ca_bundle or None)
            if cert_path:
                try:
                    context.load_cert_chain(cert_path, password=credentials.key_password or None)
                except (OSError, ssl.SSLError) as exc:
                    raise AuthError(
                        scrub(f"the client certificate {cert_path} could not be loaded: {exc}", self._secrets)
                    ) from None
            verify = context
        self._oauth: OAuth2ClientCredentials | None = None
        self._token_http: httpx.Client | None = None
        auth: httpx.Auth | None
        if kind is AuthKind.BEARER:
            auth = BearerAuth(credentials.token or "")
        elif kind is AuthKind.OAUTH2:
            self._token_http = install_deadlines(
                httpx.Client(verify=verify, timeout=httpx.Timeout(timeout), follow_redirects=False)
            )
            auth = self._oauth = OAuth2ClientCredentials(
                token_url, client_id, credentials.client_secret or "", http=self._token_http, clock=clock
            )
        else:
            auth = None
        self._http = install_deadlines(
            httpx.Client(
                base_url=self.base_url + "/",
                auth=auth,
                verify=verify,
                timeout=httpx.Timeout(timeout),
                headers={
                    "User-Agent": USER_AGENT,
                    "X-VMI-Customer": customer_id,
                    "Accept": "application/json",
                    "Accept-Encoding": "gzip",
                },
                follow_redirects=False,
            )
        )
        hold_secrets(self._secrets)  # scrubbed from every log record while this client lives

    def close(self) -> None:
        self._http.close()
        if self._oauth is not None:
            self._oauth.close()
        if self._token_http is not None:
            self._token_http.close()
        release_secrets(self._secrets)
        self._secrets = []

    def __enter__(self) -> VmiConnectClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def secrets(self) -> list[str]:
        """Every secret this client holds now (the OAuth2 access token too), for scrubbing text."""
        found = list(self._secrets)
        if self._oauth is not None and self._oauth.current_token:
            found.append(self._oauth.current_token)
        return found

    def scrub(self, text: str) -> str:
        """``text`` without any of this client's secrets or Authorization values."""
        return scrub(text, self.secrets())

    # -- transport -----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        limit: int = MAX_ANSWER_BYTES,
    ) -> Answer:
        """One call within one total deadline; a 2xx ``Answer`` or one of our errors."""
        try:
            with deadline(self.timeout):
                for attempt in (1, 2):
                    with self._http.stream(
                        method, path.lstrip("/"), content=content, headers=headers, params=params
                    ) as response:
                        status = response.status_code
                        if status == 401 and self._oauth is not None and attempt == 1:
                            self._oauth.invalidate()  # an expired or revoked token: one fresh try
                            continue
                        if 200 <= status < 300:
                            return Answer(status, response.headers, read_body(response, limit=limit))
                        try:
                            text = answer_text(read_body(response, limit=ERROR_BODY_BYTES))
                        except (AnswerTooLarge, UnsupportedEncoding):
                            text = "(an answer too large or unreadable to keep)"
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                        break
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"{method} {path}: the supplier did not answer in time (the whole call is limited to "
                f"{self.timeout:g} s; {type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise TransientError(
                self.scrub(f"{method} {path}: connection failed: {exc or type(exc).__name__}")
            ) from None
        except AuthError as exc:
            raise AuthError(self.scrub(str(exc))) from None
        except AnswerTooLarge as exc:
            raise PageTooLarge(f"{method} {path}: {exc}") from None
        except UnsupportedEncoding as exc:
            raise ProtocolError(f"{method} {path}: {exc}") from None
        except httpx.HTTPError as exc:  # decoding errors, redirects, invalid URLs: worth another try later
            raise TransientError(self.scrub(f"{method} {path}: {type(exc).__name__}: {exc}")) from None
        body = self.scrub(text[:2000])
        if status in TRANSIENT_STATUSES or status >= 500:
            raise TransientError(
                f"{method} {path}: supplier answered HTTP {status}", status=status, body=body, retry_after=retry_after
            )
        hints = {401: " (check the vendor's credentials)", 403: " (the supplier refuses this customer id)"}
        hint = hints.get(status, "")
        raise PermanentError(f"{method} {path}: supplier answered HTTP {status}{hint}", status=status, body=body)

    def post_json(self, path: str, body: dict[str, Any] | bytes | Encoded, message_id: str) -> PostResult:
        """POST one outbound message with its idempotency key; gzip when it is large (``encode_body``).

        ``body``: a body, its JSON bytes, or those bytes as ``encode_body`` made them ready (the send loop
        compresses the next message while the supplier works on the one before)."""
        if not isinstance(body, Encoded):
            body = encode_body(body if isinstance(body, bytes) else wire.dumpb(body))
        raw = body.content
        headers = {"Content-Type": "application/json", "Idempotency-Key": message_id}
        if body.gzipped:
            headers["Content-Encoding"] = "gzip"
        try:
            answer = self._request("POST", path, content=raw, headers=headers)
        except ProtocolError as exc:  # the supplier may have applied it; the idempotency key makes a resend safe
            raise TransientError(str(exc)) from None
        text = self.scrub(answer_text(answer.body)[:2000])
        try:
            parsed = wire.loads(answer.body, max_depth=MAX_DEPTH)
            accepted = int(parsed["accepted"])
        except (ValueError, KeyError, TypeError, ArithmeticError):
            # The supplier may have applied it; the idempotency key makes a resend safe.
            raise TransientError(
                f"POST {path}: unreadable answer (HTTP {answer.status})", status=answer.status, body=text
            ) from None
        return PostResult(answer.status, accepted, text)

    # -- contract calls ----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /v1/health``: reachable, authenticated, speaking ``vmi-connect/1``."""
        response = self._request("GET", "/v1/health")
        try:
            answer = wire.loads(response.body, max_depth=MAX_DEPTH)
        except ValueError:
            raise TransientError("GET /v1/health: unreadable answer") from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise PermanentError(self.scrub(f"GET /v1/health: supplier reports status {answer!r:.200}"))
        if answer.get("protocol") != PROTOCOL:
            raise PermanentError(
                self.scrub(f"the supplier speaks {answer.get('protocol')!r:.60}, this app speaks {PROTOCOL!r}")
            )
        return answer

    def events(self, after: str | None = None, limit: int = MAX_EVENTS_LIMIT) -> EventPage:
        """``GET /v1/events``: one page of events after ``after`` (None on the very first call)."""
        limit = max(1, min(limit, MAX_EVENTS_LIMIT))
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        answer = self._request("GET", "/v1/events", params=params, limit=self.max_page_bytes)
        return parse_page(answer.body, limit=limit)

    # Convenience senders (the outbox stores bodies and calls ``post_json``).

    def send_stock_report(self, body: dict[str, Any]) -> PostResult:
        return self.post_json("/v1/stock-reports", body, body["message_id"])

    def send_usage(self, body: dict[str, Any]) -> PostResult:
        return self.post_json("/v1/usage", body, body["message_id"])

    def send_purchase_order(self, body: dict[str, Any]) -> PostResult:
        return self.post_json("/v1/purchase-orders", body, body["message_id"])

    def send_cancel(self, po_number: str, body: dict[str, Any]) -> PostResult:
        return self.post_json(cancel_path(po_number), body, body["message_id"])

    def send_receipt(self, body: dict[str, Any]) -> PostResult:
        return self.post_json("/v1/receipts", body, body["message_id"])


def cancel_path(po_number: str) -> str:
    """The cancel path of an order, with the number safely quoted."""
    from urllib.parse import quote

    return f"/v1/purchase-orders/{quote(po_number, safe='')}/cancel"
