"""Drives the real platform with the installed acme-sdk wheel, as a customer's program would.

Run by the python of a fresh virtual environment that holds only the wheel and what it
depends on (never this repository's code); prints one JSON object with what it saw.

    python drive_python.py tour    every API version, error details, a deprecation warning,
                                   typed events from a durable JetStream consumer
    python drive_python.py retry   one call that first meets UNAVAILABLE; how many attempts
"""

import asyncio
import json
import os
import sys
import uuid
import warnings
from typing import Any

from acme_sdk import (
    ApiError,
    AsyncAcme,
    EventSubscriber,
    InvalidArgumentError,
    NotFoundError,
    RetryPolicy,
    banking,
    devices,
    events,
    inventory,
    marketing,
    monitor,
    notifications,
    orders,
    payments,
    pricing,
    shipping,
    support,
)

EDGE = os.environ["ACCORD_EDGE"]
TOKEN = os.environ["TOKEN"]
CUSTOMER = os.environ.get("CUSTOMER", "alice")


async def answer(call: Any) -> str:
    """"ok", or the code of the error the service answered with."""
    try:
        await call
    except ApiError as error:
        return error.code.name
    return "ok"


async def every_version(acme: AsyncAcme, order_id: str) -> dict[str, str]:
    me = CUSTOMER
    return {
        "acme.banking.v1": await answer(
            acme.banking.v1.get_account(banking.v1.GetAccountRequest(account_id="acc-none"))
        ),
        "acme.devices.v1": await answer(
            acme.devices.v1.list_devices(devices.v1.ListDevicesRequest(owner_id=me))
        ),
        "acme.inventory.v1": await answer(
            acme.inventory.v1.get_stock(inventory.v1.GetStockRequest(sku="TEA-1"))
        ),
        "acme.marketing.v1": await answer(
            acme.marketing.v1.get_consent(marketing.v1.GetConsentRequest(customer_id=me))
        ),
        "acme.monitor.v1": await answer(
            acme.monitor.v1.report_error(
                monitor.v1.ReportErrorRequest(
                    report_id=uuid.uuid4().hex,
                    customer_id=me,
                    application="sdk-test",
                    error_code="SDK_TOUR",
                    message="the SDK tour reports one error",
                )
            )
        ),
        "acme.notifications.v1": await answer(
            acme.notifications.v1.list_notifications(
                notifications.v1.ListNotificationsRequest(customer_id=me)
            )
        ),
        "acme.orders.v1": await answer(
            acme.orders.v1.list_orders(orders.v1.ListOrdersRequest(customer_id=me))
        ),
        "acme.orders.v2": await answer(
            acme.orders.v2.get_order(orders.v2.GetOrderRequest(order_id=order_id))
        ),
        "acme.payments.v1": await answer(
            acme.payments.v1.get_payment(payments.v1.GetPaymentRequest(order_id=order_id))
        ),
        "acme.pricing.v1": await answer(
            acme.pricing.v1.get_price(
                pricing.v1.GetPriceRequest(route_id="NOWHERE", date="2030-01-01")
            )
        ),
        "acme.shipping.v1": await answer(
            acme.shipping.v1.get_shipment(shipping.v1.GetShipmentRequest(order_id=order_id))
        ),
        "acme.support.v1": await answer(
            acme.support.v1.list_tickets(support.v1.ListTicketsRequest(customer_id=me))
        ),
    }


def order_request() -> orders.v2.PlaceOrderRequest:
    return orders.v2.PlaceOrderRequest(
        request_id=uuid.uuid4().hex,
        customer_id=CUSTOMER,
        lines=[orders.v2.OrderLine(sku="TEA-1", quantity=1)],  # priced by the catalogue
        payment_token="tok_visa",
    )


async def tour() -> dict[str, Any]:
    seen: dict[str, Any] = {}
    durable = f"sdk-tour-{uuid.uuid4().hex[:8]}"
    async with (
        AsyncAcme(EDGE, token=TOKEN) as acme,
        EventSubscriber(os.environ["NATS_URL"]) as subscriber,
    ):
        # Entering the subscription creates its durable consumer: nothing after it is missed.
        async with subscriber.subscribe(events.orders.ORDER_PLACED, durable=durable) as placed:
            order_id = (await acme.orders.v2.place_order(order_request())).order.order_id
            async for event in placed:
                if event.data.orderId == order_id:  # other tests place orders too
                    break
        seen["event"] = {
            "type": type(event.data).__name__,
            "orderId": event.data.orderId,
            "customerId": event.data.customerId,
            "source": event.source,
        }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seen["versions"] = await every_version(acme, order_id)
        seen["deprecations"] = [
            str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)
        ]
        try:
            await acme.orders.v2.place_order(orders.v2.PlaceOrderRequest(customer_id=CUSTOMER))
        except InvalidArgumentError as error:
            seen["invalid"] = {
                "code": error.code.name,
                "fields": sorted(v.field for v in error.field_violations),
            }
        try:
            await acme.orders.v2.get_order(orders.v2.GetOrderRequest(order_id="no-such-order"))
        except NotFoundError as error:
            seen["not_found"] = {"reason": error.reason, "metadata": error.metadata}
    return seen


async def retry() -> dict[str, Any]:
    attempts = 0

    def token() -> str:  # called once per attempt: it counts them
        nonlocal attempts
        attempts += 1
        return TOKEN

    patient = RetryPolicy(max_attempts=30, initial_backoff=0.2, max_backoff=0.5)
    async with AsyncAcme(EDGE, token=token, retry=patient) as acme:
        outcome = await answer(
            acme.shipping.v1.get_shipment(
                shipping.v1.GetShipmentRequest(order_id="no-such-order"), timeout=30
            )
        )
    return {"attempts": attempts, "outcome": outcome}


if __name__ == "__main__":
    mode = sys.argv[1]
    result = asyncio.run(tour() if mode == "tour" else retry())
    print(json.dumps(result))
