"""OAuth2 client credentials (token cached until 30 s before expiry) and mutual TLS, over loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.clock import ManualClock
from tests.integration.sync_support import TOKEN, rig
from vmi_desktop.db import Database
from vmi_desktop.models import AuthKind, Vendor
from vmi_desktop.supplier_server import SupplierServer
from vmi_desktop.sync.auth import AuthError, VendorCredentials
from vmi_desktop.sync.client import TransientError, VmiConnectClient

SECRET = "client-S3cret-oauth-9931"


def test_oauth2_token_is_fetched_once_cached_and_refreshed_30s_before_expiry(sqlite_db: Database) -> None:
    clock = ManualClock()
    with rig(sqlite_db, replenish=False, oauth_clients={"vmi-client": SECRET}, token_lifetime_s=3600) as r:
        with sqlite_db.transaction() as s:
            vendor = s.get_one(Vendor, r.acme)
            vendor.auth_kind = AuthKind.OAUTH2
            vendor.token_url = r.server.token_url
            vendor.client_id = "vmi-client"
            customer_id = vendor.customer_id
        creds = VendorCredentials(client_secret=SECRET)
        with VmiConnectClient(
            r.server.url, customer_id, creds, "oauth2", r.server.token_url, "vmi-client", clock=clock
        ) as client:
            for _ in range(3):
                client.health()
            assert r.server.state.received["token"] == 1
            assert r.server.state.received["health"] == 3
            clock.advance(3600 - 30 - 0.001)  # expires_in 3600: good until 30 s before
            client.health()
            assert r.server.state.received["token"] == 1
            clock.advance(0.001)
            client.health()
            assert r.server.state.received["token"] == 2
            assert r.server.state.received["health"] == 5
        # The engine builds the same client from the vendor's settings and the keyring's secret.
        report = r.engine.sync_vendor(r.acme, creds)
        assert report.error is None and report.sent == 1
        wrong = r.engine.sync_vendor(r.acme, VendorCredentials(client_secret="nope-" + SECRET))
        assert wrong.error is not None and "refused the client credentials" in wrong.error
        assert SECRET not in wrong.error
        missing = r.engine.sync_vendor(r.acme, VendorCredentials(token=TOKEN))
        assert missing.error is not None and "client secret" in missing.error


def _pki(tmp: Path, key_password: str) -> dict[str, Path]:
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: str,
        issuer_key: ec.EllipticCurvePrivateKey,
        *,
        ca: bool = False,
        san: bool = False,
        client: bool = False,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
        if client:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    pem = serialization.Encoding.PEM
    ca_key, srv_key, cli_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = cert("Test CA", ca_key, "Test CA", ca_key, ca=True)
    paths = {name_: tmp / f"{name_}.pem" for name_ in ("ca", "server", "client")}
    paths["ca"].write_bytes(ca.public_bytes(pem))
    srv = cert("127.0.0.1", srv_key, "Test CA", ca_key, san=True)
    paths["server"].write_bytes(
        srv.public_bytes(pem)
        + srv_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cli = cert("vmi-desktop customer", cli_key, "Test CA", ca_key, client=True)
    paths["client"].write_bytes(
        cli.public_bytes(pem)
        + cli_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(key_password.encode())
        )
    )
    return paths


def test_mutual_tls_with_a_password_protected_client_key_and_verification_always_on(tmp_path: Path) -> None:
    key_password = "key-pw-7781"
    pki = _pki(tmp_path, key_password)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki["ca"]))
    context.load_cert_chain(pki["server"])
    context.verify_mode = ssl.CERT_REQUIRED
    with SupplierServer(token=TOKEN, ssl_context=context) as server:
        assert server.url.startswith("https://127.0.0.1:")
        creds = VendorCredentials(token=TOKEN, key_password=key_password)
        with VmiConnectClient(
            server.url, "C-42", creds, "bearer", cert_path=str(pki["client"]), timeout=3, ca_bundle=str(pki["ca"])
        ) as client:
            assert client.health()["status"] == "ok"
        # No client certificate: the supplier refuses the handshake.
        with (
            VmiConnectClient(server.url, "C-42", creds, "bearer", timeout=3, ca_bundle=str(pki["ca"])) as client,
            pytest.raises(TransientError),
        ):
            client.health()
        # The supplier's certificate is checked: unknown to the system trust store, so refused.
        with (
            VmiConnectClient(server.url, "C-42", creds, "bearer", cert_path=str(pki["client"]), timeout=3) as client,
            pytest.raises(TransientError, match=r"(?i)certificate"),
        ):
            client.health()
        assert server.state.received["health"] == 1
    # A wrong key password is a clear error without the password in it.
    with pytest.raises(AuthError, match="could not be loaded") as info:
        VmiConnectClient(
            "https://127.0.0.1:9",
            "C-42",
            VendorCredentials(key_password="wrong-pw-1"),
            "none",
            cert_path=str(pki["client"]),
        )
    assert "wrong-pw-1" not in str(info.value)
