"""A NATS restart: the connection comes back and the pull consumer keeps fetching."""

from pathlib import Path

import pytest
from acme_events.notifications import Application as NotificationsApplication
from acme_events.notifications.messages.json import OrderPlacedPayload as ReceivedOrderPlaced
from acme_events.orders import Application

from accord.events import Contract, EventContext, EventSettings, connect
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from tests.integration.events._support import eventually, placed

pytestmark = pytest.mark.integration


async def test_consumers_survive_a_server_restart(
    tmp_path: Path,
    orders_contract: Contract,
    notifications_contract: Contract,
    nats_security: ServerSecurity,
) -> None:
    server = NatsServer(tmp_path / "store", security=nats_security)
    await server.start()
    nc = await connect(server.url)
    handled: list[str] = []
    try:
        app = Application(
            nc,
            # Orders only publishes here: its own consumers are not what this test is about.
            settings=EventSettings(source="/acme/orders", provision=True, require_handlers=False),
            contract=orders_contract,
        )
        receiver = NotificationsApplication(
            nc,
            # Only receiveOrderPlaced is exercised: notifications' other durables stay unbound.
            settings=EventSettings(
                source="/acme/notifications",
                provision=True,
                fetch_timeout=0.5,
                require_handlers=False,
            ),
            contract=notifications_contract,
        )

        @receiver.consumer.receive_order_placed
        async def on_placed(order: ReceivedOrderPlaced, event: EventContext) -> None:
            handled.append(order.order_id)

        # orders first: it provisions the ORDERS stream the consumer reads from.
        async with app, receiver:
            await app.producer.send_order_placed(placed("before"))
            await eventually(lambda: handled == ["before"])

            await server.stop()
            server = NatsServer(tmp_path / "store", port=server.port, security=nats_security)
            await server.start()
            await eventually(lambda: nc.is_connected, timeout=15)

            await app.producer.send_order_placed(placed("after"))
            await eventually(lambda: handled == ["before", "after"], timeout=15)
    finally:
        await nc.drain()
        await server.stop()
