"""The OpenAPI 3.1 document of VMI Connect matches what the client sends and the reference server answers.

A tiny validator of the JSON Schema subset the document uses ($ref, type, required, properties,
items, enum, minimum/maximum, minItems/maxItems, pattern, format date/date-time/uuid) keeps the
test free of extra dependencies.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MANAGER
from tests.integration.sync_support import TOKEN, rig
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.replenishment import orders

DOC_PATH = Path(__file__).resolve().parents[2] / "resources" / "openapi" / "vmi-connect-v1.json"
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def validate(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Errors of ``value`` against ``schema`` (empty when valid)."""
    schema = _resolve(doc, schema)
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_type_ok(value, n) for n in names):
            return [f"{where}: {value!r:.60} is not {names}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        errors += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += validate(doc, sub, value[key], f"{where}.{key}")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)) or len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: {len(value)} items outside the allowed range")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += validate(doc, schema["items"], item, f"{where}[{i}]")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} above {schema['maximum']}")
        three = schema.get("description", "").startswith("At most 3 decimals")
        if three and Decimal(str(value)) != Decimal(str(value)).quantize(Decimal("0.001")):
            errors.append(f"{where}: {value} has more than 3 decimals")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        fmt = schema.get("format")
        try:
            if fmt == "date":
                date.fromisoformat(value)
            elif fmt == "date-time":
                if not value.endswith("Z"):
                    raise ValueError("not UTC 'Z'")
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            elif fmt == "uuid":
                uuid.UUID(value)
        except ValueError as exc:
            errors.append(f"{where}: {value!r} is not a {fmt} ({exc})")
    return errors


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(DOC_PATH.read_text(encoding="utf-8"))


def _operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def test_document_is_openapi_31_with_every_contract_path(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/v1/stock-reports",
        "/v1/usage",
        "/v1/purchase-orders",
        "/v1/purchase-orders/{po_number}/cancel",
        "/v1/receipts",
        "/v1/health",
        "/v1/events",
    }
    refs = re.findall(r'"\$ref": "#/([^"]+)"', DOC_PATH.read_text())
    for ref in refs:  # every reference resolves
        node: Any = doc
        for part in ref.split("/"):
            node = node[part]


def test_what_the_client_sends_and_the_server_answers_matches_the_document(
    sqlite_db: Database, doc: dict[str, Any]
) -> None:
    with rig(sqlite_db) as r:
        w = r.world
        with sqlite_db.unit_of_work() as uow:
            stock.receive(uow, MANAGER, "P-2", "WH-1", "9")
            stock.consume(uow, MANAGER, "P-2", "WH-1", "2")
            po = order_commands.create(
                uow,
                MANAGER,
                vendor_id=r.acme,
                location_id=w.locations["WH-1"],
                lines=[orders.NewLine(sku_id=w.skus["P-1"], quantity=Decimal(6))],
                send=True,
            )
            po_id = po.id
        assert r.sync().error is None
        with sqlite_db.unit_of_work() as uow:
            order_commands.receive(uow, MANAGER, po_id, {1: Decimal(2)})
            order_commands.cancel(uow, MANAGER, po_id, "rest no longer needed")
            stock.consume(uow, MANAGER, "P-2", "WH-1", "1")
        r.server.add_event(
            "thresholds.proposed",
            {"location_code": "WH-1", "sku": "P-2", "min": 4, "max": 18, "reason": "usage fell"},
        )
        r.server.add_event("order.cancelled", {"supplier_order_id": "SO-000001", "reason": "stock-out at DC"})
        assert r.sync().error is None
        with r.engine.client_for(r.acme, r.creds) as client:
            assert client.health()["protocol"] == "vmi-connect/1"
        # An error answer is documented too.
        refused = httpx.post(
            f"{r.server.url}/v1/receipts",
            content=b"{}",
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "X-VMI-Customer": "C-42",
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            },
        )
        assert refused.status_code == 422
        captured = list(r.server.state.captured)
    kinds = {c["kind"] for c in captured}
    assert kinds >= {"stock-reports", "usage", "purchase-orders", "cancel", "receipts", "events", "health"}
    modes = {c["body"]["mode"] for c in captured if c["kind"] == "stock-reports"}
    assert modes == {"full", "delta"}
    problems: list[str] = []
    for c in captured:
        op = _operation(doc, c["method"], c["path"])
        where = f"{c['method']} {c['path']}"
        headers = c["headers"]
        for param in op["parameters"]:
            p = _resolve(doc, param)
            if p["in"] != "header" or c["status"] >= 400:  # the hand-made refused request is not the client
                continue
            value = headers.get(p["name"].lower())
            if value is None:
                if p["required"]:
                    problems.append(f"{where}: header {p['name']} missing")
                continue
            problems += validate(doc, p["schema"], value, f"{where} header {p['name']}")
        if "requestBody" in op and c["status"] < 400:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            problems += validate(doc, schema, c["body"], f"{where} body")
            assert headers["idempotency-key"] == c["body"]["message_id"]
        response = op["responses"].get(str(c["status"]))
        assert response is not None, f"{where}: status {c['status']} is not documented"
        problems += validate(doc, response["content"]["application/json"]["schema"], c["answer"], f"{where} answer")
        if c["kind"] == "events":
            for event in c["answer"]["events"]:
                data_schema = doc["components"]["x-event-data"][event["type"]]
                problems += validate(doc, data_schema, event["data"], f"event {event['event_id']} data")
    assert problems == []


def test_the_validator_catches_what_the_document_forbids(doc: dict[str, Any]) -> None:
    schema = {"$ref": "#/components/schemas/StockReport"}
    bad = {
        "message_id": "not-a-uuid",
        "customer_id": "C",
        "generated_at": "2026-11-24T08:30:00+01:00",
        "mode": "partial",
        "lines": [{"location_code": "WH-1", "sku": "P-1", "on_hand": "3"}],
    }
    errors = validate(doc, schema, bad)
    assert any("uuid" in e for e in errors) and any("mode" in e for e in errors)
    assert any("generated_at" in e for e in errors) and any("on_hand" in e for e in errors)
    assert any("missing max" in e for e in errors)
