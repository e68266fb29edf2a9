"""Publishing: typed payloads exactly as the contract writes them, with CloudEvents headers."""

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from acme_events.notifications import Application as NotificationsApplication
from acme_events.notifications.messages.json import OrderPlacedPayload as ReceivedOrderPlaced
from acme_events.orders import Application
from acme_events.orders.messages.json import (
    OrderPlacedPayload,
    OrderStatus,
    OrderStatusChangedPayload,
)
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.events import (
    Contract,
    ContractViolation,
    EventContext,
    EventSettings,
    NoStreamError,
    provision,
)
from tests.integration.events._support import eventually, placed

pytestmark = pytest.mark.integration

SETTINGS = EventSettings(source="/acme/orders", provision=True, require_handlers=False)


def schema_of(contract: Contract, operation: str) -> jsonschema.Draft7Validator:
    schema = contract.operation(operation).message.payload_schema
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


async def test_typed_round_trip_is_valid_against_the_schema(
    nats_client: NatsClient, orders_contract: Contract, notifications_contract: Contract
) -> None:
    """Orders publishes a placed order; notifications' durable consumer receives it."""
    app = Application(nats_client, settings=SETTINGS, contract=orders_contract)
    receiver = NotificationsApplication(
        nats_client,
        # Only receiveOrderPlaced is exercised: notifications' other durables stay unbound.
        settings=EventSettings(
            source="/acme/notifications", provision=True, require_handlers=False
        ),
        contract=notifications_contract,
    )
    seen: list[tuple[ReceivedOrderPlaced, EventContext]] = []

    @receiver.consumer.receive_order_placed
    async def on_placed(order: ReceivedOrderPlaced, event: EventContext) -> None:
        seen.append((order, event))

    # orders first: it provisions the ORDERS stream the consumer reads from.
    async with app, receiver:
        sent = placed()
        published = await app.producer.send_order_placed(sent, event_id="evt-round-trip")
        await eventually(lambda: len(seen) == 1)

    order, event = seen[0]
    assert type(order) is ReceivedOrderPlaced
    # Two packages, two classes: compare the fields, then what was set (nothing more).
    assert order.model_dump() == sent.model_dump()
    assert order.model_fields_set == sent.model_fields_set
    assert event.id == "evt-round-trip" == published.event_id
    assert event.type == "acme.orders.v1.order.placed"
    assert event.source == "/acme/orders"
    assert event.subject == orders_contract.operation("sendOrderPlaced").address
    assert event.subject == notifications_contract.operation("receiveOrderPlaced").address
    assert event.delivery_count == 1
    assert event.time is not None
    assert event.time.tzinfo is not None
    schema_of(orders_contract, "sendOrderPlaced").validate(
        order.model_dump(mode="json", by_alias=True, exclude_unset=True)
    )


async def test_the_wire_carries_camel_case_json_without_nulls_and_cloudevents_headers(
    nats_client: NatsClient, jetstream: JetStreamContext, orders_contract: Contract, unique: str
) -> None:
    """Interop: a plain nats-py consumer, knowing nothing of Accord, reads the event.
    Fails against asyncapi-python's codec, which sends `order_id` and `"note": null`."""
    app = Application(nats_client, settings=SETTINGS, contract=orders_contract)
    await provision(jetstream, [orders_contract])
    changed = OrderStatusChangedPayload(
        order_id="o-2",
        previous_status=OrderStatus.PENDING,
        status=OrderStatus.PAID,
        changed_at=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
    )
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await app.producer.send_order_status_changed(changed, event_id="e-2", traceparent=traceparent)

    subject = orders_contract.operation("sendOrderStatusChanged").address
    subscription = await jetstream.pull_subscribe(subject, stream=f"ORDERS_{unique}")
    [msg] = await subscription.fetch(1, timeout=5)
    await msg.ack()

    body = json.loads(msg.data)
    assert body == {
        "orderId": "o-2",
        "previousStatus": "PENDING",
        "status": "PAID",
        "changedAt": "2026-11-27T03:00:00Z",
    }
    schema_of(orders_contract, "sendOrderStatusChanged").validate(body)
    headers = dict(msg.headers or {})
    assert datetime.fromisoformat(headers.pop("ce-time")).tzinfo is not None
    assert headers == {
        "ce-id": "e-2",
        "ce-source": "/acme/orders",
        "ce-type": "acme.orders.v1.order.status_changed",
        "ce-specversion": "1.0",
        "content-type": "application/json",
        "traceparent": traceparent,
        "Nats-Msg-Id": "e-2",
    }


async def test_a_repeated_event_id_is_stored_once(
    nats_client: NatsClient, jetstream: JetStreamContext, orders_contract: Contract
) -> None:
    app = Application(nats_client, settings=SETTINGS, contract=orders_contract)
    await provision(jetstream, [orders_contract])
    first = await app.producer.send_order_placed(placed(), event_id="same-id")
    again = await app.producer.send_order_placed(placed(), event_id="same-id")
    other = await app.producer.send_order_placed(placed(), event_id="other-id")

    assert (first.duplicate, again.duplicate, other.duplicate) == (False, True, False)
    assert again.sequence == first.sequence
    info = await jetstream.stream_info(first.stream)
    assert info.state.messages == 2


async def test_a_subject_no_stream_captures_is_a_clear_error(
    nats_client: NatsClient, orders_contract: Contract
) -> None:
    app = Application(nats_client, settings=SETTINGS, contract=orders_contract)
    # No provisioning: no stream captures this test's subjects.
    with pytest.raises(NoStreamError, match=r"no JetStream stream captures subject 't\w+\.acme"):
        await app.producer.send_order_placed(placed())


async def test_a_payload_against_the_schema_is_refused_before_publishing(
    nats_client: NatsClient, orders_contract: Contract
) -> None:
    app = Application(nats_client, settings=SETTINGS, contract=orders_contract)
    lowercase = placed().model_copy(update={"currency": "eur"})
    with pytest.raises(ContractViolation, match="at currency"):
        await app.producer.send_order_placed(lowercase)
    explicit_null = OrderPlacedPayload.model_validate({**placed().model_dump(), "note": None})
    with pytest.raises(ContractViolation, match="at note"):
        await app.producer.send_order_placed(explicit_null)
