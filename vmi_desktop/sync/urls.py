"""Which supplier URLs the app may call: https anywhere, plain http only to this computer."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from vmi_desktop.errors import VmiError


class InsecureUrlError(VmiError):
    """A URL the contract forbids (plain http to a non-loopback host, or not a URL at all)."""


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, what: str = "the supplier URL", example: str = "https://erp.supplier.example/vmi") -> str:
    """``url`` without surrounding blanks, or ``InsecureUrlError`` saying why it is refused.

    The same rule for every URL a secret is sent to: the base URL (the bearer token goes there)
    and the OAuth2 token URL (the client secret goes there).
    """
    cleaned = url.strip()
    parts = urlsplit(cleaned)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InsecureUrlError(f"{what} {url!r} is not an http(s) URL; use e.g. {example}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InsecureUrlError(
            f"refusing plain http:// to {parts.hostname} for {what}: use https:// "
            "(plain http is only allowed to this computer, e.g. 127.0.0.1)"
        )
    return cleaned


def check_base_url(base_url: str) -> str:
    """The supplier's base URL, checked (see ``check_url``), without a trailing slash."""
    return check_url(base_url).rstrip("/")


def check_token_url(token_url: str) -> str:
    """The OAuth2 token URL, checked like the base URL (the client secret is sent there)."""
    return check_url(token_url, what="the OAuth2 token URL", example="https://erp.supplier.example/oauth/token")
