"""Every API version answers HTTP/JSON through the edge, from its `google.api.http` bindings: one
method of each, with the same tokens, scopes, owner checks, limits and lifecycle headers as gRPC
and a JSON google.rpc.Status for a refusal. (Orders v2 is exercised in depth in
test_http_json.py.)"""

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Call:
    """One HTTP/JSON call and what a good answer holds."""

    api: str
    method: str
    path: str  # {customer} is the test's own customer
    scopes: tuple[str, ...]
    body: Any = None
    status: int = 200
    # A key of the JSON answer (or the reason of a refusal's ErrorInfo).
    expect: str = ""
    headers: dict[str, str] = field(default_factory=dict)


CALLS = [
    Call(
        "acme.banking.v1",
        "POST",
        "/v1/customers/{customer}/accounts",
        ("banking:write",),
        {"currency_code": "EUR"},
        expect="account",
    ),
    Call("acme.devices.v1", "GET", "/v1/owners/{customer}/devices", ("devices:read",)),
    Call("acme.inventory.v1", "GET", "/v1/prices?skus=TEA-1", ("inventory:read",), expect="prices"),
    # A client stream: the JSON array's elements are the stream's messages.
    Call(
        "acme.marketing.v1",
        "POST",
        "/v1/events:track",
        ("marketing:track",),
        [
            {
                "customer_id": "{customer}",
                "event_id": f"http-{index}",
                "kind": "BROWSING_EVENT_KIND_VIEW",
                "sku": "SKU-TOTE",
            }
            for index in range(2)
        ],
        expect="accepted_count",
    ),
    Call(
        "acme.monitor.v1",
        "POST",
        "/v1/error-reports",
        ("monitor:report",),
        {
            "report_id": "http-1",
            "customer_id": "{customer}",
            "application": "web",
            "error_code": "HTTP_TEST",
            "message": "over HTTP/JSON",
        },
    ),
    Call(
        "acme.notifications.v1",
        "GET",
        "/v1/customers/{customer}/webhooks",
        ("notifications:read",),
    ),
    Call("acme.orders.v1", "GET", "/v1/customers/{customer}/orders", ("orders:read",)),
    Call("acme.orders.v2", "GET", "/v2/customers/{customer}/orders", ("orders:read",)),
    # No such order: the service's own NOT_FOUND, as HTTP 404 with its JSON status.
    Call(
        "acme.payments.v1",
        "GET",
        "/v1/orders/no-such-order/payment",
        ("payments:read",),
        status=404,
    ),
    Call(
        "acme.pricing.v1",
        "GET",
        "/v1/routes/NO-ROUTE/dates/2026-12-24/price",
        ("pricing:read",),
        status=404,
    ),
    Call(
        "acme.shipping.v1",
        "GET",
        "/v1/orders/no-such-order/shipment",
        ("shipping:read",),
        status=404,
    ),
    Call("acme.support.v1", "GET", "/v1/tickets?customer_id={customer}", ("support:read",)),
]


def _reason(body: dict[str, Any]) -> str:
    for detail in body.get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return str(detail["reason"])
    raise AssertionError(f"no ErrorInfo in {body}")


def _filled(value: Any, customer: str) -> Any:
    return json.loads(json.dumps(value).replace("{customer}", customer))


def test_every_api_version_has_a_call_here(platform: Platform) -> None:
    served = {name.rpartition(".")[0] for name in platform.gateway.routes.services}
    assert {call.api for call in CALLS} == {api for api in served if api.startswith("acme.")}


async def test_one_method_of_every_api_version_over_http(platform: Platform, unique: str) -> None:
    customer = f"http-{unique}"
    async with httpx.AsyncClient(base_url=f"http://{platform.address}", timeout=10) as http:
        for call in CALLS:
            token = platform.token(customer, *call.scopes)
            answer = await http.request(
                call.method,
                call.path.replace("{customer}", customer),
                json=_filled(call.body, customer) if call.body is not None else None,
                headers={"authorization": f"Bearer {token}"},
            )
            assert answer.status_code == call.status, (call.path, answer.text)
            assert answer.headers["content-type"].startswith("application/json"), call.path
            body = answer.json()
            if call.status != 200:
                assert _reason(body), call.path  # a google.rpc.Status with its ErrorInfo
            elif call.expect:
                assert call.expect in body, (call.path, body)
            # The same checks as gRPC: another customer's records are refused.
            if "{customer}" in call.path and call.status == 200:
                other = await http.request(
                    call.method,
                    call.path.replace("{customer}", f"{customer}-other"),
                    json=_filled(call.body, f"{customer}-other") if call.body else None,
                    headers={"authorization": f"Bearer {token}"},
                )
                assert (other.status_code, _reason(other.json())) == (403, "NOT_OWNER"), call
        # The deprecated version says so on HTTP too.
        deprecated = await http.get(
            f"/v1/customers/{customer}/orders",
            headers={"authorization": f"Bearer {platform.token(customer, 'orders:read')}"},
        )
        assert {"deprecation", "sunset", "link"} <= set(deprecated.headers)


async def test_http_refusals_of_the_edge_carry_json_statuses(
    platform: Platform, unique: str
) -> None:
    customer = f"http-{unique}"
    token = platform.token(customer, "orders:read")
    _, claims, _ = token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).decode().rstrip("=")
    unsigned = f"{header}.{claims}."
    limit = platform.gateway.settings.max_receive_message_bytes
    async with httpx.AsyncClient(base_url=f"http://{platform.address}", timeout=30) as http:
        alg_none = await http.get(
            f"/v2/customers/{customer}/orders", headers={"authorization": f"Bearer {unsigned}"}
        )
        oversized = await http.post(
            "/v1/error-reports",
            json={"report_id": "big", "customer_id": customer, "message": "x" * limit},
            headers={"authorization": f"Bearer {platform.token(customer, 'monitor:report')}"},
        )
    assert (alg_none.status_code, _reason(alg_none.json())) == (401, "ALGORITHM_NOT_ALLOWED")
    assert (oversized.status_code, _reason(oversized.json())) == (413, "MESSAGE_TOO_LARGE")
    assert oversized.json()["details"][0]["metadata"]["limit"] == str(limit)
