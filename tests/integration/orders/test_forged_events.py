"""A forged shipment, from every identity but shipping's, changes nothing.

`acme.shipping.v1.shipment.scheduled` for an unpaid order would walk it to SHIPPED. The
server refuses the publish from every service identity but shipping's, and from the
operator; the developer (development only: every permission) gets through the server, and
orders then dead-letters the event because its `ce-source` is not shipping's. Shipping's
own event does move the order: the test would see a change if one got through.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from nats.aio.client import Client as NatsClient

from accord.events import event_headers
from accord.nats_auth import OPERATOR
from accord.nats_permissions import contracts_of, services_of
from accord.tooling.nats_server import NatsServer
from accord.tooling.streams import REPOSITORY
from tests.support.bus import dead_letter_reason, probe

pytestmark = pytest.mark.integration

SUBJECT = "acme.shipping.v1.shipment.scheduled"
DEAD_LETTERS = "acme.orders.v1.deadletter.shipment-scheduled"
FORGERS = [name for name in services_of(contracts_of(REPOSITORY)) if name != "shipping"]
FORGERS.append(OPERATOR)


def _shipment(order: v2.Order, source: str, event_id: str) -> tuple[bytes, dict[str, str]]:
    body = {
        "shipmentId": f"shp_{order.order_id}",
        "orderId": order.order_id,
        "customerId": order.customer_id,
        "carrier": "acme-post",
        "estimatedArrival": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    headers = event_headers(
        event_type=SUBJECT, source=source, content_type="application/json", event_id=event_id
    )
    return json.dumps(body).encode(), headers


async def _status(orders: v2_grpc.OrderServiceAsyncStub, order_id: str) -> int:
    reply = await orders.GetOrder(v2.GetOrderRequest(order_id=order_id))
    return reply.order.status


async def test_a_forged_shipment_from_any_identity_but_shippings_changes_nothing(
    orders_v2: v2_grpc.OrderServiceAsyncStub,
    nats_server: NatsServer,
    nats_client: NatsClient,
    unique: str,
) -> None:
    request = v2.PlaceOrderRequest(
        request_id=f"forged-{unique}",
        customer_id=f"c-{unique}",
        lines=[v2.OrderLine(sku="TEA-1", quantity=2)],  # at the catalogue's price
    )
    order = (await orders_v2.PlaceOrder(request)).order
    assert order.status == v2.ORDER_STATUS_PENDING

    for identity in FORGERS:
        forger = await probe(nats_server, identity)
        try:
            body, headers = _shipment(order, f"/acme/{identity}", f"forged-{identity}-{unique}")
            await forger.nc.publish(SUBJECT, body, headers=headers)
            assert await forger.denials(1) == {("publish", SUBJECT)}, identity
        finally:
            await forger.nc.close()

    # Every permission, but not shipping's source: the event reaches orders, which refuses it.
    event_id = f"forged-developer-{unique}"
    body, headers = _shipment(order, "/acme/payments", event_id)
    await nats_client.jetstream().publish(SUBJECT, body, headers=headers)
    reason = None
    for _ in range(50):
        if reason := await dead_letter_reason(nats_client, DEAD_LETTERS, event_id):
            break
        await asyncio.sleep(0.1)
    assert reason == (
        "provenance: ce-source '/acme/payments' is not the channel's owner '/acme/shipping'"
    )
    assert await _status(orders_v2, order.order_id) == v2.ORDER_STATUS_PENDING

    # The control: shipping's own identity and source do move the order.
    shipping = await probe(nats_server, "shipping")
    try:
        body, headers = _shipment(order, "/acme/shipping", f"real-{unique}")
        await shipping.nc.jetstream().publish(SUBJECT, body, headers=headers)
    finally:
        await shipping.nc.close()
    for _ in range(50):
        if await _status(orders_v2, order.order_id) == v2.ORDER_STATUS_SHIPPED:
            break
        await asyncio.sleep(0.1)
    assert await _status(orders_v2, order.order_id) == v2.ORDER_STATUS_SHIPPED
