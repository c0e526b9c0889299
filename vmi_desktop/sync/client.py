"""The HTTP side of VMI Connect v1: one client per vendor base URL (httpx, no Qt).

Guarantees: TLS verification is always on, plain ``http://`` only reaches
loopback hosts, every call has a time-out, bodies over 64 KiB are gzipped,
and every request carries the contract's headers. Errors are classified as
``TransientError`` (retry later) or ``PermanentError`` (keep as failed); their
text never contains a secret.
"""

from __future__ import annotations

import gzip
import ipaddress
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from vmi_desktop import __version__, wire
from vmi_desktop.errors import VmiError
from vmi_desktop.models import AuthKind
from vmi_desktop.sync.auth import AuthError, BearerAuth, OAuth2ClientCredentials, VendorCredentials, scrub

log = logging.getLogger(__name__)

USER_AGENT = f"vmi-desktop/{__version__}"
PROTOCOL = "vmi-connect/1"
GZIP_THRESHOLD = 64 * 1024
MAX_EVENTS_LIMIT = 500
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


class InsecureUrlError(VmiError):
    """A base URL the contract forbids (plain http to a non-loopback host, or not a URL at all)."""


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """The base URL without a trailing slash, or ``InsecureUrlError`` saying why it is refused."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InsecureUrlError(
            f"the supplier URL {base_url!r} is not an http(s) URL; use e.g. https://erp.supplier.example/vmi"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InsecureUrlError(
            f"refusing plain http:// to {parts.hostname}: use https:// "
            "(plain http is only allowed to this computer, e.g. 127.0.0.1)"
        )
    return url


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
class PostResult:
    """A successful POST: the status, the lines the supplier accepted, the raw answer."""

    status: int
    accepted: int
    body: str


@dataclass(frozen=True)
class EventPage:
    """One page of the event feed."""

    events: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool


def _dumps(body: Any) -> bytes:
    return wire.dumpb(body)


class VmiConnectClient:
    """One supplier's VMI Connect endpoint, with its authentication and time-outs.

    ``credentials`` are kept in memory only; ``auth_kind`` is ``none``, ``bearer`` or ``oauth2``.
    ``cert_path`` names a PEM file with the client certificate and its key for mutual TLS
    (the key's password comes from ``credentials.key_password``). ``verify`` may name a CA
    bundle (tests with a private CA); verification can not be switched off. ``clock`` (monotonic
    seconds) times the OAuth2 token cache.
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
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.customer_id = customer_id
        self._secrets = credentials.secrets()
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
        auth: httpx.Auth | None
        if kind is AuthKind.BEARER:
            auth = BearerAuth(credentials.token or "")
        elif kind is AuthKind.OAUTH2:
            auth = OAuth2ClientCredentials(
                token_url, client_id, credentials.client_secret or "", timeout=timeout, verify=verify, clock=clock
            )
        else:
            auth = None
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            auth=auth,
            verify=verify,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT, "X-VMI-Customer": customer_id, "Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VmiConnectClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path.lstrip("/"), content=content, headers=headers, params=params)
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"{method} {path}: the supplier did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise TransientError(
                scrub(f"{method} {path}: connection failed: {exc or type(exc).__name__}", self._secrets)
            ) from None
        except AuthError:
            raise
        except httpx.HTTPError as exc:  # decoding errors, redirects, invalid URLs: worth another try later
            raise TransientError(scrub(f"{method} {path}: {type(exc).__name__}: {exc}", self._secrets)) from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        body = scrub(response.text[:2000], self._secrets)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in TRANSIENT_STATUSES or status >= 500:
            raise TransientError(
                f"{method} {path}: supplier answered HTTP {status}", status=status, body=body, retry_after=retry_after
            )
        hints = {401: " (check the vendor's credentials)", 403: " (the supplier refuses this customer id)"}
        hint = hints.get(status, "")
        raise PermanentError(f"{method} {path}: supplier answered HTTP {status}{hint}", status=status, body=body)

    def post_json(self, path: str, body: dict[str, Any] | bytes, message_id: str) -> PostResult:
        """POST one outbound message with its idempotency key; gzip when it is large."""
        raw = body if isinstance(body, bytes) else _dumps(body)
        headers = {"Content-Type": "application/json", "Idempotency-Key": message_id}
        if len(raw) > GZIP_THRESHOLD:
            raw = gzip.compress(raw, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        response = self._request("POST", path, content=raw, headers=headers)
        text = response.text
        try:
            answer = wire.loads(text)
            accepted = int(answer["accepted"])
        except (ValueError, KeyError, TypeError, ArithmeticError):
            # The supplier may have applied it; the idempotency key makes a resend safe.
            raise TransientError(
                f"POST {path}: unreadable answer (HTTP {response.status_code})",
                status=response.status_code,
                body=scrub(text[:2000], self._secrets),
            ) from None
        return PostResult(response.status_code, accepted, text[:2000])

    # -- contract calls ----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /v1/health``: reachable, authenticated, speaking ``vmi-connect/1``."""
        response = self._request("GET", "/v1/health")
        try:
            answer = wire.loads(response.content)
        except ValueError:
            raise TransientError("GET /v1/health: unreadable answer") from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise PermanentError(f"GET /v1/health: supplier reports status {answer!r:.200}")
        if answer.get("protocol") != PROTOCOL:
            raise PermanentError(f"the supplier speaks {answer.get('protocol')!r}, this app speaks {PROTOCOL!r}")
        return answer

    def events(self, after: str | None = None, limit: int = MAX_EVENTS_LIMIT) -> EventPage:
        """``GET /v1/events``: one page of events after ``after`` (None on the very first call)."""
        params: dict[str, Any] = {"limit": max(1, min(limit, MAX_EVENTS_LIMIT))}
        if after is not None:
            params["after"] = after
        response = self._request("GET", "/v1/events", params=params)
        try:
            answer = wire.loads(response.content)
            events = answer["events"]
            if not isinstance(events, list):
                raise TypeError("events is not a list")
            next_cursor = answer.get("next_cursor")
            has_more = bool(answer.get("has_more", False))
        except (ValueError, KeyError, TypeError):
            raise TransientError("GET /v1/events: unreadable answer from the supplier") from None
        return EventPage(events, None if next_cursor is None else str(next_cursor), has_more)

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
