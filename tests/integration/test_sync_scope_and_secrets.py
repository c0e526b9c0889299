"""Inbound events outside the vendor's scope or malformed are rejected, kept and alerted; secrets stay secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import MANAGER
from tests.integration.sync_support import TOKEN, rig
from vmi_desktop.db import Database
from vmi_desktop.models import Alert, AlertKind, PurchaseOrder, ThresholdProposal
from vmi_desktop.sync.auth import VendorCredentials, scrub, scrubber
from vmi_desktop.sync.client import InsecureUrlError, VmiConnectClient
from vmi_desktop.sync.inbox import list_rejected


def test_bad_events_are_rejected_with_reason_and_alert_and_do_not_block_later_ones(db: Database) -> None:
    with rig(db, replenish=False) as r:
        add = r.server.add_event
        add(
            "order.created",
            {
                "supplier_order_id": "SO-X1",
                "location_code": "WH-1",
                "lines": [{"line": 1, "sku": "P-3", "quantity": 4}],
            },
        )  # BOLT's SKU
        add("thresholds.proposed", {"location_code": "WH-1", "sku": "P-3", "min": 1, "max": 2})  # BOLT's pair
        add(
            "order.created",
            {
                "supplier_order_id": "SO-X2",
                "location_code": "WH-1",
                "lines": [{"line": 1, "sku": "P-2", "quantity": -5}],
            },
        )  # negative
        add(
            "order.created",
            {
                "supplier_order_id": "SO-X3",
                "location_code": "WH-1",
                "lines": [{"line": 1, "sku": "P-2", "quantity": "lots"}],
            },
        )  # not a number
        add(
            "shipment.dispatched",
            {"shipment_id": "SH-9", "po_number": "PO-999999", "lines": [{"line": 1, "sku": "P-1", "quantity": 1}]},
        )  # unknown order
        add("order.acknowledged", "not an object")  # malformed body
        add("mystery.event", {})  # unknown type
        add(
            "thresholds.proposed", {"location_code": "WH-1", "sku": "P-1", "min": 12, "max": 48, "reason": "seasonal"}
        )  # fine, after all the bad ones
        r.server.state.events.append({"type": "order.cancelled", "data": {}})  # no event_id at all
        report = r.sync()
        assert report.error is None, report
        assert (report.events_applied, report.events_rejected) == (1, 8)
        with db.transaction() as s:
            rejected = {e.type: e.reason for e in list_rejected(s, MANAGER, r.acme)}
            assert len(list_rejected(s, MANAGER, r.acme)) == 8
            assert "P-3" in rejected["thresholds.proposed"]
            assert "unknown order" in rejected["shipment.dispatched"]
            assert "unknown event type" in rejected["mystery.event"]
            assert "malformed" in rejected["order.acknowledged"]
            reasons = [e.reason for e in list_rejected(s, MANAGER, r.acme) if e.type == "order.created"]
            assert any("negative" in x for x in reasons) and any("number" in x for x in reasons)
            assert any("not covered" in x for x in reasons)
            kinds = [a.kind for a in s.scalars(select(Alert).where(Alert.vendor_id == r.acme))]
            assert kinds.count(AlertKind.SCOPE_VIOLATION) == 2
            assert kinds.count(AlertKind.EVENT_REJECTED) == 6
            assert s.scalars(select(PurchaseOrder)).all() == []
            proposals = s.scalars(select(ThresholdProposal)).all()
            assert [(int(p.proposed_min), int(p.proposed_max)) for p in proposals] == [(12, 48)]
        # Pulled again (e.g. after a crash), nothing is re-applied or re-rejected.
        r.engine.sync_vendor(r.acme, r.creds)
        with db.transaction() as s:
            assert len(list_rejected(s, MANAGER)) == 8
        assert r.inbox_count() == 9


def test_plain_http_is_refused_except_on_loopback() -> None:
    creds = VendorCredentials(token="t")
    with pytest.raises(InsecureUrlError, match="https"):
        VmiConnectClient("http://erp.supplier.example/vmi", "C-1", creds, "bearer")
    for ok in (
        "http://127.0.0.1:9/vmi",
        "http://127.8.9.10:9",
        "http://[::1]:9",
        "http://localhost:9",
        "https://erp.supplier.example/vmi",
    ):
        VmiConnectClient(ok, "C-1", creds, "bearer").close()


def test_scrub_removes_authorization_values_and_known_secrets() -> None:
    text = "failed: {'Authorization': 'Bearer abc.DEF-123'} key=hunter2 authorization: Basic Zm9vOmJhcg=="
    cleaned = scrub(text, ["hunter2"])
    assert "abc.DEF-123" not in cleaned and "hunter2" not in cleaned and "Zm9vOmJhcg" not in cleaned
    assert "***" in repr(VendorCredentials(token="s3cr3t")) and "s3cr3t" not in repr(VendorCredentials(token="s3cr3t"))


def test_a_scrubber_cleans_each_text_as_scrub_does_longest_secret_first() -> None:
    secrets = ["abc", "abcdef", ""]
    clean = scrubber(secrets)
    for text in ("key abcdef and abc", "Bearer tok.EN-1 abc", "nothing here", "ünïcode abcdef authorization: x"):
        assert clean(text) == scrub(text, secrets)
    assert clean("key abcdef") == "key ***"  # not "key ***def"
    assert scrubber()("Authorization: Basic Zm9v") == "Authorization: ***"


def test_secrets_never_reach_the_database_file_logs_or_settings(
    sqlite_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMI_DATA_DIR", str(tmp_path / "data"))
    caplog.set_level(logging.DEBUG)
    with rig(sqlite_db, wait_for_retries_s=0) as r:
        wrong = VendorCredentials(token="wrong-" + TOKEN[::-1])
        refused = r.engine.sync_vendor(r.acme, wrong)
        assert refused.error is not None and "401" in refused.error
        r.server.add_fault("/v1/events", "status", count=1, status=500)
        r.sync()
        r.server.state.clear_faults()
        assert r.sync().error is None
    secrets = [TOKEN, wrong.token or ""]
    db_path = sqlite_db.sqlite_path
    assert db_path is not None
    files = [p for p in db_path.parent.glob("*") if p.is_file()]
    data_dir = tmp_path / "data"
    if data_dir.exists():
        files += [p for p in data_dir.rglob("*") if p.is_file()]
    for path in files:
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, f"secret found in {path}"
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in (refused.error or "")
