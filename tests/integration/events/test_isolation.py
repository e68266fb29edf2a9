"""Several generated applications in one process, on one connection, never interfere.

asyncapi-python caches codecs by message name for the whole process (two packages with
an `OrderPlaced` decode into each other's class) and binds RPC replies to the first
application. Here each application owns its codecs, subscriptions and settings.
"""

import dataclasses
from types import ModuleType
from typing import Any

import pytest
from acme_events.notifications import Application as NotificationsApplication
from acme_events.notifications.messages.json import (
    OrderPlacedPayload as NotificationsOrderPlacedPayload,
)
from acme_events.orders import Application as OrdersApplication
from acme_events.orders.messages.json import OrderLine, OrderPlacedPayload
from nats.aio.client import Client as NatsClient

from accord.events import Contract, EventContext, EventSettings
from tests.integration.events._support import eventually, renamed

pytestmark = pytest.mark.integration


async def test_two_contracts_with_the_same_message_name_keep_their_own_models(
    kit: ModuleType,
    nats_client: NatsClient,
    orders_contract: Contract,
    notifications_contract: Contract,
    kit_contract: Contract,
) -> None:
    """Three packages with an `OrderPlaced`: orders sends it, notifications receives it
    with its own model, kit sends and receives another schema under the same name."""
    settings = EventSettings(source="/test", provision=True, require_handlers=False)
    # Orders' events carry orders' source: notifications accepts no other on its channel.
    orders = OrdersApplication(
        nats_client,
        settings=dataclasses.replace(settings, source="/acme/orders"),
        contract=orders_contract,
    )
    notifications = NotificationsApplication(
        nats_client, settings=settings, contract=notifications_contract
    )
    kits = kit.Application(nats_client, settings=settings, contract=kit_contract)
    got: dict[str, Any] = {}

    @notifications.consumer.receive_order_placed
    async def on_order(order: NotificationsOrderPlacedPayload, event: EventContext) -> None:
        got["notifications"] = order

    async def on_kit(order: Any, event: EventContext) -> None:
        got["kit"] = order

    kits.consumer.receive_placed(on_kit)

    # orders first: it provisions the ORDERS stream notifications' consumer reads from.
    async with orders, notifications, kits:
        await kits.producer.send_placed(kit.messages.json.OrderPlaced(order_id="k", kit_number=9))
        await orders.producer.send_order_placed(
            OrderPlacedPayload(
                order_id="o",
                customer_id="c",
                total_cents=1,
                currency="EUR",
                lines=[OrderLine(sku="s", quantity=1)],
            )
        )
        await eventually(lambda: len(got) == 2)

    assert type(got["notifications"]) is NotificationsOrderPlacedPayload
    assert got["notifications"].order_id == "o"
    assert type(got["kit"]) is kit.messages.json.OrderPlaced
    assert got["kit"].kit_number == 9


async def test_two_applications_of_one_contract_each_serve_and_ask_on_their_own(
    kit: ModuleType, nats_client: NatsClient, unique: str
) -> None:
    """Two tenants of one package: own subjects, own settings, own RPC replies."""
    models = kit.messages.json
    apps = []
    for name in ("a", "b"):
        contract = renamed(kit.CONTRACT, f"{unique}{name}")
        app = kit.Application(
            nats_client,
            settings=EventSettings(source=f"/kit/{name}", require_handlers=False),
            contract=contract,
        )

        def serve(app: Any, name: str) -> None:
            async def lookup(request: Any, event: EventContext) -> Any:
                return models.LookupReply(key=request.key, value=name, served_by=event.source)

            app.consumer.serve_lookup(lookup)

        serve(app, name)
        apps.append(app)

    async with apps[0], apps[1]:
        first = await apps[0].producer.ask_lookup(models.LookupRequest(key="x"), timeout=5)
        second = await apps[1].producer.ask_lookup(models.LookupRequest(key="x"), timeout=5)
        await apps[0].stop()
        again = await apps[1].producer.ask_lookup(models.LookupRequest(key="y"), timeout=5)

    assert (first.value, first.served_by) == ("a", "/kit/a")
    assert (second.value, second.served_by) == ("b", "/kit/b")
    assert again.value == "b"
