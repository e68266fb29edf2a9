"""HTTP/JSON through the edge, from the contracts' google.api.http bindings: the same tokens,
scopes, owner checks and detailed refusals as gRPC, with HTTP statuses and JSON bodies, and a
server stream read as newline-delimited JSON."""

import json
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

CUSTOMER = ("orders:read", "orders:write")


def _headers(platform: Platform, subject: str, *scopes: str) -> dict[str, str]:
    return {"authorization": f"Bearer {platform.token(subject, *scopes)}"}


def _order(customer: str) -> dict[str, Any]:
    # At the catalogue's price (inventory's), which orders checks.
    price = {"currency_code": "USD", "units": 4, "nanos": 500_000_000}
    line = {"sku": "TEA-1", "quantity": 1, "unit_price": price}
    return {"request_id": f"http-{customer}", "customer_id": customer, "lines": [line]}


def _reason(body: dict[str, Any]) -> str:
    """The ErrorInfo reason of a JSON google.rpc.Status body."""
    for detail in body.get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return str(detail["reason"])
    raise AssertionError(f"no ErrorInfo in {body}")


async def test_place_read_and_watch_an_order_over_http(platform: Platform, unique: str) -> None:
    alice = f"alice-{unique}"
    base = f"http://{platform.address}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        placed = await http.post(
            "/v2/orders", json=_order(alice), headers=_headers(platform, alice, *CUSTOMER)
        )
        assert placed.status_code == 200, placed.text
        order = placed.json()["order"]
        assert order["customer_id"] == alice
        got = await http.get(
            f"/v2/orders/{order['order_id']}", headers=_headers(platform, alice, *CUSTOMER)
        )
        assert got.status_code == 200
        assert got.json()["order"]["order_id"] == order["order_id"]
        async with http.stream(
            "GET",
            f"/v2/orders/{order['order_id']}:watch",
            headers=_headers(platform, alice, *CUSTOMER),
        ) as watched:
            assert watched.status_code == 200
            async for line in watched.aiter_lines():
                if line.strip():
                    first = json.loads(line)
                    break
        assert first["order"]["order_id"] == order["order_id"]


async def test_http_refusals_have_their_status_and_a_json_status_body(
    platform: Platform, unique: str
) -> None:
    alice = f"alice-{unique}"
    base = f"http://{platform.address}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        anonymous = await http.get(f"/v2/customers/{alice}/orders")
        no_scope = await http.get(
            f"/v2/customers/{alice}/orders", headers=_headers(platform, alice, "orders:write")
        )
        not_owner = await http.get(
            "/v2/customers/someone-else/orders", headers=_headers(platform, alice, *CUSTOMER)
        )
    assert anonymous.status_code == 401
    assert _reason(anonymous.json()) == "CREDENTIALS_REQUIRED"
    assert no_scope.status_code == 403
    assert _reason(no_scope.json()) == "MISSING_SCOPE"
    assert not_owner.status_code == 403
    assert _reason(not_owner.json()) == "NOT_OWNER"
