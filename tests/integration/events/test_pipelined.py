"""Pipelined publishing (`send_x.many`) and the consumer's worker pool."""

import asyncio
import contextvars
import json
from types import ModuleType
from typing import Any

import nats.js.api
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from accord.events import (
    Contract,
    ContractViolation,
    EventContext,
    NoStreamError,
    PublishFailed,
    PublishTimeout,
    provision,
)
from tests.integration.events._support import consumer_of, eventually, kit_app

pytestmark = pytest.mark.integration


def order(kit: ModuleType, number: int, **fields: Any) -> Any:
    return kit.messages.json.OrderPlaced(order_id=f"o-{number}", kit_number=number, **fields)


async def test_many_stores_every_event_in_order_with_its_id_and_cloudevents_headers(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    await provision(jetstream, [kit_contract])
    ids = [f"e-{n}" for n in range(50)]
    published = await app.producer.send_placed.many(
        [order(kit, n) for n in range(50)], event_ids=ids
    )

    assert [p.event_id for p in published] == ids
    assert [p.sequence for p in published] == list(range(1, 51))
    assert not any(p.duplicate for p in published)
    subject = kit_contract.operation("sendPlaced").address
    subscription = await jetstream.pull_subscribe(subject, stream=published[0].stream)
    messages = await subscription.fetch(50, timeout=5)
    times = set()
    for n, msg in enumerate(messages):
        headers = dict(msg.headers or {})
        assert json.loads(msg.data) == {"orderId": f"o-{n}", "kitNumber": n}
        assert headers["ce-id"] == headers["Nats-Msg-Id"] == f"e-{n}"
        assert headers["ce-source"] == "/kit"
        assert headers["ce-specversion"] == "1.0"
        assert headers["content-type"] == "application/json"
        times.add(headers["ce-time"])
    assert len(times) == 1  # the time of the call

    # Publishing the same ids again stores nothing new: a failed call can be retried.
    again = await app.producer.send_placed.many([order(kit, n) for n in range(50)], event_ids=ids)
    assert all(p.duplicate for p in again)
    assert [p.sequence for p in again] == [p.sequence for p in published]


async def test_many_without_ids_gives_each_event_a_fresh_uuid(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    await provision(jetstream, [kit_contract])
    published = await app.producer.send_placed.many([order(kit, n) for n in range(20)])
    ids = [p.event_id for p in published]
    assert len(set(ids)) == 20
    assert all(len(i) == 36 and i[14] == "4" for i in ids)


async def test_many_sends_nothing_when_one_payload_breaks_the_contract(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    await provision(jetstream, [kit_contract])
    payloads = [order(kit, 0), order(kit, 1, comment=None), order(kit, 2)]  # null: no string
    with pytest.raises(ContractViolation, match=r"payloads\[1\].*at comment"):
        await app.producer.send_placed.many(payloads)
    with pytest.raises(ValueError, match="3 payloads but 2 event ids"):
        await app.producer.send_placed.many(payloads, event_ids=["a", "b"])
    stream = consumer_of(kit_contract, "receivePlaced").stream
    assert (await jetstream.stream_info(stream)).state.messages == 0


async def test_many_on_a_subject_no_stream_captures_is_a_clear_error(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)  # nothing provisioned
    with pytest.raises(NoStreamError, match="no JetStream stream captures subject"):
        await app.producer.send_placed.many([order(kit, n) for n in range(5)])


async def test_many_names_the_events_jetstream_refused(
    kit: ModuleType, nats_client: NatsClient, jetstream: JetStreamContext, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    await provision(jetstream, [kit_contract])
    stream = consumer_of(kit_contract, "receivePlaced").stream
    config = (await jetstream.stream_info(stream)).config
    config.max_msgs, config.discard = 3, nats.js.api.DiscardPolicy.NEW
    await jetstream.update_stream(config)

    with pytest.raises(PublishFailed) as raised:
        await app.producer.send_placed.many(
            [order(kit, n) for n in range(5)], event_ids=[f"e-{n}" for n in range(5)]
        )
    assert sorted(raised.value.failed) == ["e-3", "e-4"]
    assert [p.event_id for p in raised.value.published] == ["e-0", "e-1", "e-2"]
    assert "e-3" in str(raised.value)


async def test_many_retries_unacknowledged_events_then_names_them(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    """Someone listens on the subject but no stream answers: every PubAck times out."""
    app = kit_app(kit, nats_client, kit_contract, publish_timeout=0.3, publish_attempts=2)
    subject = kit_contract.operation("sendPlaced").address
    seen: list[Msg] = []

    async def silent(msg: Msg) -> None:
        seen.append(msg)

    listener = await nats_client.subscribe(subject, cb=silent)
    try:
        with pytest.raises(PublishFailed) as raised:
            await app.producer.send_placed.many(
                [order(kit, n) for n in range(3)], event_ids=["a", "b", "c"]
            )
    finally:
        await listener.unsubscribe()
    assert sorted(raised.value.failed) == ["a", "b", "c"]
    assert all(isinstance(e, PublishTimeout) for e in raised.value.failed.values())
    assert raised.value.published == []
    # Both attempts went out, with the same ids.
    assert sorted((m.headers or {})["Nats-Msg-Id"] for m in seen) == ["a", "a", "b", "b", "c", "c"]


async def test_handlers_run_up_to_fetch_batch_at_once(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    running, most, done = 0, 0, 0

    async def slow(ping: Any, event: EventContext) -> None:
        nonlocal running, most, done
        running += 1
        most = max(most, running)
        await asyncio.sleep(ping.seconds)
        running -= 1
        done += 1

    app.consumer.receive_slow(slow)
    async with app:
        await app.producer.send_slow.many([kit.messages.json.Ping(seconds=0.2)] * 6)
        await eventually(lambda: done == 6)
    assert most == consumer_of(kit_contract, "receiveSlow").fetch_batch == 2


_LEFT_BEHIND: contextvars.ContextVar[str | None] = contextvars.ContextVar("left", default=None)


async def test_a_context_variable_set_by_one_handler_is_not_seen_by_the_next(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    app = kit_app(kit, nats_client, kit_contract)
    found: list[str | None] = []

    async def leaky(placed: Any, event: EventContext) -> None:
        found.append(_LEFT_BEHIND.get())
        _LEFT_BEHIND.set(event.id)

    app.consumer.receive_placed(leaky)
    async with app:
        await app.producer.send_placed.many([order(kit, n) for n in range(30)])
        await eventually(lambda: len(found) == 30)
    assert found == [None] * 30


async def test_a_handler_still_running_when_stop_times_out_is_nacked_for_redelivery(
    kit: ModuleType,
    nats_client: NatsClient,
    kit_contract: Contract,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = kit_app(kit, nats_client, kit_contract, stop_timeout=0.2)
    started: list[int] = []
    nacked: list[str] = []
    nak = Msg.nak

    async def recorded_nak(msg: Msg, delay: float | None = None) -> None:
        nacked.append((msg.headers or {})["ce-id"])
        await nak(msg, delay)

    monkeypatch.setattr(Msg, "nak", recorded_nak)

    async def stuck(ping: Any, event: EventContext) -> None:
        started.append(event.delivery_count)
        await asyncio.sleep(30)

    app.consumer.receive_slow(stuck)
    await app.start()
    await app.producer.send_slow(kit.messages.json.Ping(seconds=30), event_id="stuck")
    await eventually(lambda: started == [1])
    await app.stop()
    assert nacked == ["stuck"]

    again = kit_app(kit, nats_client, kit_contract)
    redelivered: list[int] = []

    async def quick(ping: Any, event: EventContext) -> None:
        redelivered.append(event.delivery_count)

    again.consumer.receive_slow(quick)
    async with again:
        await eventually(lambda: redelivered == [2])
