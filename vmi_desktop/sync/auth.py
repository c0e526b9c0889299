"""Credentials and authentication for VMI Connect: bearer, OAuth2 client credentials, mutual TLS.

Secrets arrive as a ``VendorCredentials`` value (read from the OS keyring by
``vmi_desktop.secrets``); they are held in memory only, never logged, and
scrubbed from any text that could reach a log line, the database or the UI.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field

import httpx

from vmi_desktop.errors import VmiError

#: Refresh an OAuth2 access token this many seconds before it expires.
TOKEN_EXPIRY_MARGIN_S = 30.0


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
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _AUTH_HEADER.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


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

    A 401 on a request drops the cached token and retries once with a fresh one. ``clock`` gives
    monotonic seconds for the expiry (tests hand in one they move).
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 10.0,
        verify: object = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not token_url or not client_id:
            raise AuthError("OAuth2 needs a token URL and a client id in the vendor's settings")
        if not client_secret:
            raise AuthError("no OAuth2 client secret is stored for this vendor; enter it in the vendor's credentials")
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._timeout = timeout
        self._verify = verify
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({self.token_url!r}, {self.client_id!r}, ***)"

    def _fetch(self) -> str:
        try:
            response = httpx.post(
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self._secret),
                timeout=self._timeout,
                verify=self._verify,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise AuthError(scrub(f"could not reach the token URL {self.token_url}: {exc}", [self._secret])) from None
        if response.status_code != 200:
            raise AuthError(f"the token URL refused the client credentials (HTTP {response.status_code})")
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise AuthError("the token URL answered without a usable access_token") from None
        self._token = token
        self._expires_at = self._clock() + expires_in - TOKEN_EXPIRY_MARGIN_S
        return token

    def access_token(self) -> str:
        """A valid access token from the cache, or a fresh one."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                return self._fetch()
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        response = yield request
        if response.status_code == 401:
            self.invalidate()
            request.headers["Authorization"] = f"Bearer {self.access_token()}"
            yield request
