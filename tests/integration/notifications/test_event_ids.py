"""Event contracts carry the id rules: an impossible id is refused by the publisher, and an
event that carries one anyway (any NATS client can publish) is dead-lettered at once.

Before: the schemas accepted any id, and an order-placed with orderId `>` became a customer
notification "Order > is confirmed".
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.orders import Application as Orders
from acme_events.orders.messages import json as orders
from nats.aio.client import Client as NatsClient

from accord.events import ContractViolation
from accord.service import RunningService
from tests.integration.notifications.conftest import AsCustomer
from tests.support.bus import stored
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DEAD_LETTERS = "acme.notifications.v1.deadletter.order-placed"
FIELDS: dict[str, Any] = {
    "total_cents": 100,
    "currency": "EUR",
    "lines": [orders.OrderLine(sku="TEA-1", quantity=1)],
}


@pytest.mark.parametrize("order_id", [">", "*", "a.b", "x" * 65, "ünï"])
async def test_the_publisher_refuses_an_impossible_id(orders_events: Orders, order_id: str) -> None:
    with pytest.raises(ValueError, match=r"order_id"):  # the model itself
        orders.OrderPlacedPayload(order_id=order_id, customer_id="c-1", **FIELDS)
    # Built without the model's checks, it still does not get past the contract's schema.
    payload = orders.OrderPlacedPayload.model_construct(
        order_id=order_id, customer_id="c-1", **FIELDS
    )
    with pytest.raises(ContractViolation, match=r"orderId"):
        await orders_events.producer.send_order_placed(payload, event_id="refused")


async def test_an_impossible_id_on_the_wire_is_dead_lettered_at_once(
    notifications: RunningService, nc: NatsClient, as_customer: AsCustomer, unique: str
) -> None:
    customer = f"c-{unique}"
    body = {
        "orderId": ">",
        "customerId": customer,
        "totalCents": 100,
        "currency": "EUR",
        "lines": [{"sku": "TEA-1", "quantity": 1}],
    }
    headers = {
        "ce-id": f"forged-{unique}",
        "ce-source": "/acme/orders",
        "ce-type": "acme.orders.v1.order.placed",
        "ce-time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "ce-specversion": "1.0",
        "content-type": "application/json",
        "Nats-Msg-Id": f"forged-{unique}",
    }
    await nc.jetstream().publish(
        "acme.orders.v1.order.placed", json.dumps(body).encode(), headers=headers
    )

    async def dead_lettered() -> dict[str, str] | None:
        for msg in await stored(nc, DEAD_LETTERS):
            if (msg.headers or {}).get("ce-id") == f"forged-{unique}":
                return dict(msg.headers or {})
        return None

    record = await eventually(dead_lettered)
    assert record["accord-dead-letter-deliveries"] == "1"
    assert record["accord-dead-letter-reason"].startswith("invalid")
    stub = await as_customer(customer)
    listed = await stub.ListNotifications(pb.ListNotificationsRequest(customer_id=customer))
    assert list(listed.notifications) == []
