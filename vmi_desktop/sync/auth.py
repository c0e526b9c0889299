"""Credentials and authentication for VMI Connect: bearer, OAuth2 client credentials, mutual TLS.

Secrets arrive as a ``VendorCredentials`` value (read from the OS keyring by
``vmi_desktop.secrets``); they are held in memory only, never logged, and
scrubbed from any text that could reach a log line, the database or the UI.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from vmi_desktop.errors import VmiError

#: Refresh an OAuth2 access token this many seconds before it expires.
TOKEN_EXPIRY_MARGIN_S = 30.0
#: The most of a token endpoint's answer that is read.
TOKEN_ANSWER_LIMIT = 64 * 1024


class AuthError(VmiError):
    """Credentials are missing or refused; the user has to fix them in the vendor's settings."""


@dataclass(frozen=True)
class VendorCredentials:
    """The secrets of one vendor connection; ``repr`` never shows them."""

    token: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    key_password: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        """Every non-empty secret, for scrubbing text."""
        return [s for s in (self.token, self.client_secret, self.key_password) if s]

    def __repr__(self) -> str:
        names = ("token", "client_secret", "key_password")
        flags = ", ".join(f"{k}={'***' if getattr(self, k) else None}" for k in names)
        return f"VendorCredentials({flags})"


_AUTH_HEADER = re.compile(r"(?i)(authorization\s*[:=]\s*)(\S+\s+)?[^\s,'\"}]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without Authorization values, bearer tokens or any of ``secrets``."""
    return scrubber(secrets)(text)


def scrubber(secrets: Iterable[str] = ()) -> Callable[[str], str]:
    """``scrub`` with these secrets, put in order once: for the thousands of texts a page of events stores."""
    ordered = sorted((s for s in secrets if s), key=len, reverse=True)

    def clean(text: str) -> str:
        for secret in ordered:
            text = text.replace(secret, "***")
        return _scrub_patterns(text)

    return clean


def _scrub_patterns(text: str) -> str:
    if text.isascii():  # the patterns need their word: skip them (most texts) when it is absent
        lowered = text.lower()
        if "authorization" not in lowered and "bearer" not in lowered:
            return text
    text = _AUTH_HEADER.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


# -- log records ----------------------------------------------------------------------------------
#
# Secrets in use (held by a live client) are scrubbed from every log record, whoever logs it (our
# modules, httpx, httpcore at DEBUG, a supplier's answer echoed in an exception): the record
# factory rewrites the message, and the traceback text, before any handler sees them.

_held: dict[str, int] = {}
_held_lock = threading.Lock()
_factory_installed = False


def hold_secrets(values: Iterable[str]) -> None:
    """Scrub these from log records while they are held (a client holds its credentials)."""
    with _held_lock:
        for value in values:
            if value:
                _held[value] = _held.get(value, 0) + 1


def release_secrets(values: Iterable[str]) -> None:
    """Stop scrubbing what ``hold_secrets`` held, once nobody holds it any more."""
    with _held_lock:
        for value in values:
            if value in _held:
                _held[value] -= 1
                if _held[value] <= 0:
                    del _held[value]


def held_secrets() -> list[str]:
    with _held_lock:
        return list(_held)


def _redact(record: logging.LogRecord) -> None:
    secrets = held_secrets()
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error handling
        return
    cleaned = scrub(message, secrets)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = scrub(text, secrets)
        if cleaned != text:
            record.exc_text = cleaned


def install_log_redaction() -> None:
    """From now on, every log record is scrubbed of Authorization values and held secrets (idempotent)."""
    global _factory_installed
    with _held_lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


class BearerAuth(httpx.Auth):
    """A static API token sent as ``Authorization: Bearer``."""

    def __init__(self, token: str) -> None:
        if not token:
            raise AuthError("no API token is stored for this vendor; enter it in the vendor's credentials")
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class OAuth2ClientCredentials(httpx.Auth):
    """RFC 6749 section 4.4: fetch an access token, cache it in memory until 30 s before expiry.

    The token URL follows the base URL's rule (https, or http only to loopback), checked here, at
    use. The token is fetched with ``http`` (the connection client's deadline-bound sibling, so the
    fetch counts against the call's deadline and its answer is read with a byte cap). A 401 on a
    request is handled by the caller (``invalidate`` then one retry), so no answer body is ever
    read here uncapped. ``clock`` gives monotonic seconds for the expiry.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        verify: object = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from vmi_desktop.sync.urls import check_token_url

        if not token_url or not client_id:
            raise AuthError("OAuth2 needs a token URL and a client id in the vendor's settings")
        if not client_secret:
            raise AuthError("no OAuth2 client secret is stored for this vendor; enter it in the vendor's credentials")
        self.token_url = check_token_url(token_url)
        self.client_id = client_id
        self._secret = client_secret
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=timeout, verify=verify, follow_redirects=False)  # type: ignore[arg-type]
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({self.token_url!r}, {self.client_id!r}, ***)"

    def close(self) -> None:
        if self._token:
            release_secrets([self._token])
        if self._own_http:
            self._http.close()

    def _fetch(self) -> str:
        from vmi_desktop import wire
        from vmi_desktop.sync.transport import AnswerTooLarge, UnsupportedEncoding, read_body

        try:
            with self._http.stream(
                "POST",
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self._secret),
                headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
            ) as response:
                status = response.status_code
                raw = read_body(response, limit=TOKEN_ANSWER_LIMIT) if status == 200 else b""
        except httpx.HTTPError as exc:
            raise AuthError(scrub(f"could not reach the token URL {self.token_url}: {exc}", [self._secret])) from None
        except (AnswerTooLarge, UnsupportedEncoding) as exc:
            raise AuthError(f"the token URL answered something unusable: {exc}") from None
        if status != 200:
            raise AuthError(f"the token URL refused the client credentials (HTTP {status})")
        try:
            body = wire.loads(raw, max_depth=8)
            token = body["access_token"]
            if not isinstance(token, str) or not token or len(token) > 8192:
                raise TypeError("access_token is not a text")
            expires_in = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
            raise AuthError("the token URL answered without a usable access_token") from None
        if self._token:
            release_secrets([self._token])
        hold_secrets([token])
        self._token = token
        self._expires_at = self._clock() + expires_in - TOKEN_EXPIRY_MARGIN_S
        return token

    def access_token(self) -> str:
        """A valid access token from the cache, or a fresh one."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                return self._fetch()
            return self._token

    @property
    def current_token(self) -> str | None:
        """The cached access token, if any (for scrubbing text; never shown)."""
        return self._token

    def invalidate(self) -> None:
        with self._lock:
            if self._token:
                release_secrets([self._token])
            self._token = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        yield request
