"""Failure semantics: retries with the contract's backoff, dead letters, heartbeats, stop."""

import asyncio
import dataclasses
import itertools
import json
import time
from types import ModuleType
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import InvalidKeyError

from accord.events import (
    Contract,
    EventContext,
    RetryLater,
    Unprocessable,
)
from tests.integration.events._support import consumer_of, eventually, kit_app, until

pytestmark = pytest.mark.integration


async def dead_letters(js: JetStreamContext, contract: Contract, count: int) -> list[Any]:
    """The records on the dead-letter subject of receivePlaced, read with plain nats-py."""
    subject = consumer_of(contract, "receivePlaced").dead_letter
    assert subject is not None
    subscription = await js.pull_subscribe(
        subject, stream=await js.find_stream_name_by_subject(subject)
    )
    messages = await subscription.fetch(count, timeout=5)
    await subscription.unsubscribe()
    return messages


async def test_a_failing_handler_is_retried_after_the_contract_delays(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    attempts: list[tuple[float, int]] = []

    async def flaky(order: Any, event: EventContext) -> None:
        attempts.append((time.monotonic(), event.delivery_count))
        if len(attempts) <= 2:
            raise RuntimeError("transient")

    app.consumer.receive_placed(flaky)

    async with app:
        await app.producer.send_placed(kit.messages.json.OrderPlaced(order_id="o", kit_number=1))
        await eventually(lambda: len(attempts) == 3)
        await asyncio.sleep(0.2)  # an unexpected fourth delivery would show here

    assert [count for _, count in attempts] == [1, 2, 3]
    backoff = consumer_of(kit_contract, "receivePlaced").backoff
    assert backoff == (0.3, 0.6)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.8 * backoff[0]
    assert gaps[1] >= 0.8 * backoff[1]


async def test_a_poison_message_is_dead_lettered_and_the_next_one_handled(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    handled: list[Any] = []

    async def on_placed(order: Any, event: EventContext) -> None:
        handled.append(order)

    app.consumer.receive_placed(on_placed)

    subject = kit_contract.operation("receivePlaced").address
    async with app:
        # Not JSON, then JSON that breaks the schema, then a good event.
        await jetstream.publish(subject, b"\xff not json", headers={"ce-id": "poison-1"})
        await jetstream.publish(subject, json.dumps({"orderId": 7}).encode())
        await app.producer.send_placed(kit.messages.json.OrderPlaced(order_id="ok", kit_number=2))
        await eventually(lambda: len(handled) == 1)

    assert handled[0].order_id == "ok"
    first, second = await dead_letters(jetstream, kit_contract, 2)
    assert first.data == b"\xff not json"
    assert first.headers["ce-id"] == "poison-1"
    reason = first.headers["accord-dead-letter-reason"]
    assert reason.startswith("invalid: payload of OrderPlaced is not JSON")
    assert first.headers["accord-dead-letter-subject"] == subject
    assert first.headers["accord-dead-letter-deliveries"] == "1"
    durable = consumer_of(kit_contract, "receivePlaced").durable
    assert first.headers["accord-dead-letter-consumer"] == durable
    reason = second.headers["accord-dead-letter-reason"]
    assert reason.startswith("invalid: payload of OrderPlaced does not match the contract")
    assert json.loads(second.data) == {"orderId": 7}


async def test_retry_later_brings_the_event_back_after_its_delay_without_holding_a_worker(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    seen: list[tuple[str, float, int]] = []

    async def settling(order: Any, event: EventContext) -> None:
        seen.append((order.order_id, time.monotonic(), event.delivery_count))
        if order.order_id == "held" and event.delivery_count == 1:
            raise RetryLater(0.8, "settling")

    app.consumer.receive_placed(settling)

    async with app:
        await app.producer.send_placed(kit.messages.json.OrderPlaced(order_id="held", kit_number=5))
        await eventually(lambda: len(seen) == 1)
        await app.producer.send_placed(kit.messages.json.OrderPlaced(order_id="next", kit_number=6))
        await eventually(lambda: len(seen) == 3)

    assert [(order, count) for order, _, count in seen] == [("held", 1), ("next", 1), ("held", 2)]
    (_, first, _), (_, other, _), (_, again, _) = seen
    assert other < first + 0.8  # handled while the held one waited
    assert again >= first + 0.8 * 0.8


@pytest.mark.parametrize(
    ("failure", "attempts", "reason"),
    [
        pytest.param(
            Unprocessable("support refused the ticket: INVALID_ARGUMENT"),
            [1],
            "unprocessable: support refused the ticket: INVALID_ARGUMENT",
            id="unprocessable-at-once",
        ),
        # An error no retry can change, at once (before: payments retried a malformed key
        # for about 156 s, through every backoff).
        pytest.param(
            InvalidKeyError("payment.>"),
            [1],
            f"unprocessable: InvalidKeyError: {InvalidKeyError('payment.>')}",
            id="invalid-key-at-once",
        ),
        pytest.param(
            ValueError("orderId '>' is not an id"),
            [1],
            "unprocessable: ValueError: orderId '>' is not an id",
            id="value-error-at-once",
        ),
        pytest.param(
            RuntimeError("always broken"),
            [1, 2, 3],
            "deliveries exhausted (3 of 3): RuntimeError('always broken')",
            id="deliveries-exhausted",
        ),
    ],
)
async def test_an_event_its_handler_cannot_take_is_dead_lettered_with_the_reason(
    kit: ModuleType,
    nats_client: NatsClient,
    jetstream: JetStreamContext,
    kit_contract: Contract,
    failure: Exception,
    attempts: list[int],
    reason: str,
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    deliveries: list[int] = []

    async def failing(order: Any, event: EventContext) -> None:
        deliveries.append(event.delivery_count)
        raise failure

    app.consumer.receive_placed(failing)

    async with app:
        await app.producer.send_placed(
            kit.messages.json.OrderPlaced(order_id="x", kit_number=3), event_id="doomed"
        )
        [record] = await dead_letters(jetstream, kit_contract, 1)
        await asyncio.sleep(0.7)  # past the first backoff: a retry would show here

    assert deliveries == attempts
    assert record.headers["accord-dead-letter-reason"] == reason
    assert record.headers["ce-id"] == "doomed"
    assert record.headers["accord-dead-letter-deliveries"] == str(len(attempts))
    assert json.loads(record.data) == {"orderId": "x", "kitNumber": 3}


async def test_a_long_handler_keeps_its_message_with_in_progress_heartbeats(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    """ackWait is 1s in the kit contract; a 2s handler is not redelivered meanwhile."""
    app = kit_app(kit, nats_client, kit_contract)
    deliveries: list[int] = []

    async def slow(ping: Any, event: EventContext) -> None:
        deliveries.append(event.delivery_count)
        await asyncio.sleep(ping.seconds)

    app.consumer.receive_slow(slow)

    async with app:
        await app.producer.send_slow(kit.messages.json.Ping(seconds=2.0))
        await eventually(lambda: len(deliveries) == 1)
        await asyncio.sleep(2.2)

    assert deliveries == [1]


async def test_stop_lets_in_flight_handlers_finish_and_acks_them(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    started: list[float] = []
    finished: list[float] = []

    async def slow(ping: Any, event: EventContext) -> None:
        started.append(ping.seconds)
        await asyncio.sleep(ping.seconds)
        finished.append(ping.seconds)

    app.consumer.receive_slow(slow)

    await app.start()
    await app.producer.send_slow(kit.messages.json.Ping(seconds=0.5))
    await app.producer.send_slow(kit.messages.json.Ping(seconds=0.7))
    consumer = consumer_of(kit_contract, "receiveSlow")

    # Both handlers running (the server counting both as delivered is not enough: a fetch
    # still on its way when stop begins hands its messages back, NAKed, for redelivery).
    await eventually(lambda: len(started) == 2)
    await app.stop()

    assert sorted(finished) == [0.5, 0.7]

    async def all_acked() -> bool:
        info = await jetstream.consumer_info(consumer.stream, consumer.durable)
        return bool(info.num_ack_pending == 0 and info.num_pending == 0)

    await until(all_acked)
    info = await jetstream.consumer_info(consumer.stream, consumer.durable)
    assert info.num_redelivered == 0


async def test_a_message_is_kept_when_its_dead_letter_record_cannot_be_stored(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    operation = kit_contract.operation("receivePlaced")
    consumer = consumer_of(kit_contract, "receivePlaced")
    uncaptured = operation.address.split(".")[0] + ".nowhere"  # no stream captures it
    nowhere = dataclasses.replace(consumer, dead_letter=uncaptured)
    operations = {**kit_contract.operations}
    operations["receivePlaced"] = dataclasses.replace(operation, consumer=nowhere)
    contract = dataclasses.replace(kit_contract, operations=operations)
    app = kit_app(kit, nats_client, contract)

    async def never(order: Any, event: EventContext) -> None:
        raise AssertionError("a poison message reached the handler")

    app.consumer.receive_placed(never)

    async def redelivered() -> bool:
        info = await jetstream.consumer_info(consumer.stream, consumer.durable)
        return bool(info.num_redelivered >= 1)

    async with app:
        await jetstream.publish(operation.address, b"not json")
        await until(redelivered)

    info = await jetstream.consumer_info(consumer.stream, consumer.durable)
    assert info.num_ack_pending == 1  # NAKed with a delay, not terminated
