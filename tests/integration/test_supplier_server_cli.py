"""The reference supplier as a command, and its contract rules seen from a plain HTTP client."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from vmi_desktop.supplier_server import SupplierServer

TOKEN = "cli-token-5521"


@pytest.fixture
def served() -> Iterator[SupplierServer]:
    with SupplierServer(token=TOKEN, base_path="/vmi") as server:
        yield server


def _headers(key: str | None = None) -> dict[str, str]:
    h = {
        "Authorization": f"Bearer {TOKEN}",
        "X-VMI-Customer": "C-1",
        "Content-Type": "application/json",
        "User-Agent": "vmi-desktop/test",
    }
    if key:
        h["Idempotency-Key"] = key
    return h


def test_supplier_server_command_serves_health_with_its_token() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vmi_desktop",
            "supplier-server",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--vendor-name",
            "Demo Parts",
            "--base-path",
            "/vmi",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" on ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/vmi")
        answer = httpx.get(f"{url}/v1/health", headers=_headers(), timeout=5)
        assert answer.json() == {"status": "ok", "supplier": "Demo Parts", "protocol": "vmi-connect/1"}
        assert httpx.get(f"{url}/v1/health", headers={"X-VMI-Customer": "C-1"}, timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_repeated_idempotency_key_gets_the_first_answer_and_applies_once(served: SupplierServer) -> None:
    key = str(uuid.uuid4())
    body = {
        "message_id": key,
        "customer_id": "C-1",
        "po_number": "PO-1",
        "location_code": "WH-1",
        "created_at": "2026-11-25T10:00:00Z",
        "lines": [
            {
                "line": 1,
                "sku": "P-1",
                "supplier_sku": None,
                "quantity": 4,
                "uom": "EA",
                "unit_price": 1.5,
                "currency": "EUR",
                "need_by": None,
            }
        ],
    }
    raw = gzip.compress(json.dumps(body).encode())
    first = httpx.post(
        f"{served.url}/v1/purchase-orders", content=raw, headers={**_headers(key), "Content-Encoding": "gzip"}
    )
    second = httpx.post(f"{served.url}/v1/purchase-orders", json=body, headers=_headers(key))
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json() == {"accepted": 1}
    state = served.state
    assert state.applied["purchase-orders"] == 1 and state.replayed["purchase-orders"] == 1
    types = [e["type"] for e in state.events]
    assert types == ["order.acknowledged", "shipment.dispatched"]


def test_event_feed_pages_with_cursor_limit_and_has_more(served: SupplierServer) -> None:
    for i in range(5):
        served.add_event("order.cancelled", {"po_number": f"PO-{i}", "reason": "x"})
    url = f"{served.url}/v1/events"
    page = httpx.get(url, params={"limit": 2}, headers=_headers()).json()
    assert [e["data"]["po_number"] for e in page["events"]] == ["PO-0", "PO-1"] and page["has_more"]
    page = httpx.get(url, params={"limit": 500, "after": page["next_cursor"]}, headers=_headers()).json()
    assert [e["data"]["po_number"] for e in page["events"]] == ["PO-2", "PO-3", "PO-4"] and not page["has_more"]
    empty = httpx.get(url, params={"limit": 10, "after": page["next_cursor"]}, headers=_headers()).json()
    assert empty == {"events": [], "next_cursor": page["next_cursor"], "has_more": False}
    assert httpx.get(url, params={"limit": 501}, headers=_headers()).status_code == 400


def test_invalid_messages_are_refused_with_permanent_statuses(served: SupplierServer) -> None:
    key = str(uuid.uuid4())
    bad_qty = {
        "message_id": key,
        "customer_id": "C-1",
        "lines": [{"location_code": "WH-1", "sku": "P-1", "date": "2026-11-24", "consumed": -1}],
    }
    assert httpx.post(f"{served.url}/v1/usage", json=bad_qty, headers=_headers(key)).status_code == 422
    other = str(uuid.uuid4())
    assert httpx.post(f"{served.url}/v1/usage", json=bad_qty, headers=_headers(other)).status_code == 422  # id != key
    cancel = {"message_id": other, "customer_id": "C-1", "reason": "x"}
    assert (
        httpx.post(f"{served.url}/v1/purchase-orders/PO-404/cancel", json=cancel, headers=_headers(other)).status_code
        == 404
    )
    assert httpx.post(f"{served.url}/v1/usage", content=b"{", headers=_headers(str(uuid.uuid4()))).status_code == 400
    assert served.state.applied == {}


def test_faults_are_armed_and_stats_read_through_the_control_endpoint(served: SupplierServer) -> None:
    control = f"{served.url}/_control"
    assert (
        httpx.post(
            f"{control}/faults",
            json={"path": "/v1/health", "kind": "429", "count": 1, "retry_after": 7},
            headers=_headers(),
        ).status_code
        == 200
    )
    limited = httpx.get(f"{served.url}/v1/health", headers=_headers())
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert httpx.get(f"{served.url}/v1/health", headers=_headers()).status_code == 200
    bogus = httpx.post(f"{control}/faults", json={"path": "/v1", "kind": "explode"}, headers=_headers())
    assert bogus.status_code == 400
    stats = httpx.get(f"{control}/stats", headers=_headers()).json()
    assert stats["received"] == {"health": 2} and stats["faults_fired"] == {"429": 1}
    assert httpx.get(f"{control}/stats").status_code == 401
