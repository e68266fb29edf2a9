"""Starting an application: what it refuses, with errors that say what to do."""

import pytest
from acme_events.notifications import Application
from nats.aio.client import Client as NatsClient

from accord.events import Contract, EventContext, EventSettings

pytestmark = pytest.mark.integration


async def test_a_receive_operation_without_handler_refuses_to_start(
    nats_client: NatsClient, notifications_contract: Contract
) -> None:
    app = Application(nats_client, contract=notifications_contract)
    with pytest.raises(RuntimeError, match="no handler for receiveOrderPlaced"):
        await app.start()


async def test_an_unprovisioned_consumer_is_named(
    nats_client: NatsClient, notifications_contract: Contract, unique: str
) -> None:
    # Only receiveOrderPlaced has a handler, so its durable is the one that must be bound.
    app = Application(
        nats_client,
        settings=EventSettings(source="/t", require_handlers=False),
        contract=notifications_contract,
    )

    @app.consumer.receive_order_placed
    async def handle(order: object, event: EventContext) -> None:
        """Never called."""

    with pytest.raises(LookupError, match=f"'notifications-order-placed-{unique}'.*make streams"):
        await app.start()
