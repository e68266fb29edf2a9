"""Typed events over JetStream: the generated apps against raw nats-py and FastStream.

    python -m bench.events_bench [--repeats 3]

Each repetition starts a fresh embedded nats-server (temporary store) and measures, on it,
with the same payload (an OrderPlaced of the orders contract, 269 bytes of JSON):

- publish, pipelined: `app.producer.send_order_placed.many(orders, event_ids=...)` of the
  generated orders app (every payload validated, CloudEvents headers, every PubAck awaited
  before it returns), vs raw nats-py `js.publish_async` + `publish_async_completed` of the
  same body and the same headers (CloudEvents, Nats-Msg-Id), ids built alike;
- pull-consume-with-ack: the generated notifications app, its handler doing nothing, vs
  raw `pull_subscribe_bind` + `fetch(256)` + `ack`, on the same stream content and
  through consumers of the same configuration;
- FastStream 0.7.8 (`NatsBroker`, JetStream, the same pydantic model): each publish awaiting
  its ack, then a pull subscriber with ack, vs ours doing the same;
- publish → handler latency at a fixed rate, ours and raw nats-py.

Context without targets, from the same runs: raw publish_async without headers, ours
awaiting each `send_order_placed` with 256 in flight (`asyncio.gather` windows, the
headline before `many` existed), raw `js.publish` driven the same way, and raw `js.publish`
awaiting each ack next to FastStream. They show how much of a gap is the await-per-publish
API of nats-py itself rather than what the typed layer adds.

Contracts are the generated ones (acme_events.orders publishes, acme_events.notifications
consumes), with every stream, subject and durable renamed for the run, and the consumer's
fetchBatch set to 256 (the contract says 16) so that it pulls as the raw baseline does.

Every repetition runs all of it twice, each time on a fresh server: open (anonymous
connections, no permissions) and secured as the platform runs (each side connects as its
own nkey user whose permissions `accord.nats_permissions` generates from the lanes'
contracts, the operator provisions, nothing anonymous). The secured figures are the
headline; the table of least privilege sets each ratio beside its open twin.

Every figure that has a target is a ratio against a baseline measured on the same server in
the same repetition, the two sides taking turns to go first. The median of the repetitions
is reported; bench/results/events.json keeps every repetition.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nats
from acme_events import notifications, orders
from acme_events.notifications.messages.json import OrderPlacedPayload as NotificationsOrderPlaced
from acme_events.orders.messages.json import OrderLine, OrderPlacedPayload
from nats.aio.client import Client as NatsClient
from nats.js import api

from accord.events import (
    Contract,
    EventContext,
    EventSettings,
    MessageSpec,
    OperationSpec,
    StreamSpec,
    connect,
    provision,
)
from accord.nats_auth import OPERATOR, connect_as, inbox_prefix, public_key
from accord.nats_permissions import Permissions, operator_permissions, service_permissions
from accord.tooling.nats_config import NkeyUser, ServerSecurity
from accord.tooling.nats_identities import new_user_seed
from bench._common import Stopwatch, Timed, fresh_nats_server, machine, median, percentile

RESULTS = Path("bench/results/events.json")
COMMAND = "make bench  (python -m bench.events_bench --repeats {repeats})"

PIPELINED = 10_000  # events per side in the pipelined publish run
WINDOW = 256  # typed publishes in flight at once
FETCH = 256  # raw fetch size, and the bench contract's fetchBatch
ACKED = 2_000  # events per side published one at a time, each awaiting its ack
FASTSTREAM_CONSUME = 10_000  # events each side consumes in the FastStream comparison
LATENCY_RATE = 500.0  # events per second
LATENCY_SECONDS = 3.0
GIVE_UP = 60.0  # seconds: a run that has not seen all its messages by then is broken

TARGETS = {
    "publish_pipelined_vs_raw": 0.8,
    "consume_vs_raw": 0.8,
    "publish_acked_vs_faststream": 1.2,
    "consume_vs_faststream": 1.2,
}

SOURCE = orders.SOURCE  # the channel's owner: consumers check it (provenance)
# Both servers sync JetStream as nats-server does by default: what is measured here is the
# cost of authentication and permissions alone (bench/durability_bench.py measures syncing).
OPEN_SYNC = "2m"


def sample_order() -> OrderPlacedPayload:
    return OrderPlacedPayload(
        order_id="ord-7f3c2a9e-1b4d-4c8e-9a61-2d5f0e8b7c41",
        customer_id="cust-000042",
        total_cents=12_990,
        currency="EUR",
        lines=[
            OrderLine(sku="SKU-RED-MUG", quantity=2, unit_price_cents=4_995),
            OrderLine(sku="SKU-TEA-250G", quantity=1, unit_price_cents=3_000),
        ],
        note="Leave at the door",
    )


PUBLISH = "sendOrderPlaced"  # of the orders contract
RECEIVE = "receiveOrderPlaced"  # of the notifications contract


def bench_contract(contract: Contract, unique: str, only: str | None = None) -> Contract:
    """The contract with its subjects, streams and durables made this lane's own, and the
    consumer's fetch batch the raw baseline's (the contract's own is 16). With `only`, the
    contract keeps that one operation: what the bench provisions, since the other
    operations may consume streams that other documents declare."""

    def subject(value: str) -> str:
        return f"b{unique}.{value}"

    def operation(op: OperationSpec) -> OperationSpec:
        consumer = op.consumer and replace(
            op.consumer,
            durable=f"{op.consumer.durable}-{unique}",
            stream=f"{op.consumer.stream}_{unique}",
            subject=subject(op.consumer.subject),
            dead_letter=op.consumer.dead_letter and subject(op.consumer.dead_letter),
            fetch_batch=FETCH,
        )
        return replace(op, address=subject(op.address), consumer=consumer)

    operations = contract.operations if only is None else {only: contract.operations[only]}
    return replace(
        contract,
        streams=tuple(
            replace(s, name=f"{s.name}_{unique}", subjects=tuple(map(subject, s.subjects)))
            for s in contract.streams
        ),
        operations={key: operation(op) for key, op in operations.items()},
    )


class Counter:
    """Counts handled messages; `done` is set once `target` is reached."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.count = 0
        self.done = asyncio.Event()

    def hit(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()


class Lane:
    """One stream of its own, the generated orders app publishing into it, and the
    generated notifications app (or a raw durable of the same configuration) reading it."""

    def __init__(self, bus: "Bus") -> None:
        self.url = bus.url
        self.ours = bus.ours
        self.ours_consumer = bus.ours_consumer
        self.raw_js = bus.raw.jetstream()
        self.admin_js = bus.admin.jetstream()  # provisions: the operator, when secured
        self.unique = next(bus.uniques)
        self.orders_contract = bench_contract(orders.CONTRACT, self.unique)
        self.notifications_contract = bench_contract(notifications.CONTRACT, self.unique)
        producer = orders.Application(
            self.ours, settings=EventSettings(source=SOURCE), contract=self.orders_contract
        )
        self.publish = producer.producer.send_order_placed
        self.subject = self.publish.operation.address
        # The stream captures this, the durables do not: context-only publishes go there, so
        # both consumers read exactly the events of the measured runs.
        self.aside = f"{self.subject}.aside"
        consumer = self.notifications_contract.operation(RECEIVE).consumer
        assert consumer is not None
        self.stream = consumer.stream
        self.durable = consumer.durable
        self.order = sample_order()
        self.body = self.publish._codec.encode(self.order)  # the bytes ours sends
        self.event_type = self.publish.operation.message.event_type

    async def provision(self) -> None:
        """The streams of both documents and the one durable the bench reads through."""
        await provision(
            self.admin_js,
            [
                bench_contract(orders.CONTRACT, self.unique, only=PUBLISH),
                bench_contract(notifications.CONTRACT, self.unique, only=RECEIVE),
            ],
        )

    def consumer_app(self) -> notifications.Application:
        return notifications.Application(
            self.ours_consumer,
            # Only the bench's operation gets a handler; the others stay unbound.
            settings=EventSettings(source="/bench/notifications", require_handlers=False),
            contract=self.notifications_contract,
        )

    def raw_headers(self, event_id: str) -> dict[str, str]:
        return {
            "ce-id": event_id,
            "ce-source": SOURCE,
            "ce-type": self.event_type,
            "ce-time": "2026-11-27T04:00:00.000Z",  # a raw client need not format a time
            "ce-specversion": "1.0",
            "content-type": "application/json",
            "Nats-Msg-Id": event_id,
        }

    async def pending(self) -> int:
        """Events waiting for the app's durable (the raw one is created alike)."""
        info = await self.raw_js.consumer_info(self.stream, self.durable)
        return int(info.num_pending)

    async def raw_durable(self) -> str:
        """A durable of the same configuration as the app's, for the raw baseline."""
        info = await self.raw_js.consumer_info(self.stream, self.durable)
        name = f"raw-{uuid.uuid4().hex[:8]}"
        config = api.ConsumerConfig.from_response(info.config.as_dict())
        config.durable_name = name
        config.name = name
        await self.admin_js.add_consumer(self.stream, config)
        return name

    # Publishing

    async def typed_pipelined(self, count: int) -> Timed:
        """The pipelined API: one `many` call, ids built as the raw side builds them."""
        many, order, prefix = self.publish.many, self.order, uuid.uuid4().hex
        watch = Stopwatch()
        watch.start()
        await many([order] * count, event_ids=[f"{prefix}-{index}" for index in range(count)])
        return watch.stop(count)

    async def typed_gathered(self, count: int) -> Timed:
        """Context: each publish awaited, 256 in flight through `asyncio.gather` windows."""
        watch = Stopwatch()
        watch.start()
        for start in range(0, count, WINDOW):
            window = min(WINDOW, count - start)
            await asyncio.gather(*(self.publish(self.order) for _ in range(window)))
        return watch.stop(count)

    async def raw_pipelined(self, count: int, *, headers: bool = True) -> Timed:
        js, body, prefix = self.raw_js, self.body, uuid.uuid4().hex
        subject = self.subject if headers else self.aside
        watch = Stopwatch()
        watch.start()
        for index in range(count):
            sent = self.raw_headers(f"{prefix}-{index}") if headers else None
            await js.publish_async(subject, body, headers=sent)
        await js.publish_async_completed()
        return watch.stop(count)

    async def raw_request_gathered(self, count: int) -> Timed:
        """Context: raw `js.publish` (a request per event) with 256 in flight, as ours is
        driven. It shows what awaiting each publish costs before any typing is added."""
        js, body, subject, prefix = self.raw_js, self.body, self.aside, uuid.uuid4().hex
        watch = Stopwatch()
        watch.start()
        for start in range(0, count, WINDOW):
            window = min(WINDOW, count - start)
            await asyncio.gather(
                *(
                    js.publish(subject, body, headers=self.raw_headers(f"{prefix}-{start + i}"))
                    for i in range(window)
                )
            )
        return watch.stop(count)

    async def raw_acked(self, count: int) -> Timed:
        """Context: raw `js.publish`, one at a time, each awaiting its ack."""
        js, body, subject, prefix = self.raw_js, self.body, self.aside, uuid.uuid4().hex
        watch = Stopwatch()
        watch.start()
        for index in range(count):
            await js.publish(subject, body, headers=self.raw_headers(f"{prefix}-{index}"))
        return watch.stop(count)

    async def typed_acked(self, count: int) -> Timed:
        watch = Stopwatch()
        watch.start()
        for _ in range(count):
            await self.publish(self.order)
        return watch.stop(count)

    # Consuming

    async def typed_consume(self, expected: int) -> Timed:
        app = self.consumer_app()
        counter = Counter(expected)

        @app.consumer.receive_order_placed
        async def handle(order: NotificationsOrderPlaced, event: EventContext) -> None:
            counter.hit()

        watch = Stopwatch()
        watch.start()
        await app.start()
        await asyncio.wait_for(counter.done.wait(), GIVE_UP)
        timed = watch.stop(counter.count)
        await app.stop()
        return timed

    async def raw_consume(self, durable: str, expected: int) -> Timed:
        sub = await self.raw_js.pull_subscribe_bind(durable=durable, stream=self.stream)
        count = 0
        deadline = time.monotonic() + GIVE_UP
        watch = Stopwatch()
        watch.start()
        while count < expected and time.monotonic() < deadline:
            try:
                messages = await sub.fetch(FETCH, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            for msg in messages:
                await msg.ack()
                count += 1
        timed = watch.stop(count)
        await sub.unsubscribe()
        return timed


async def _in_turn(
    ours_first: bool, ours: Callable[[], Awaitable[Timed]], base: Callable[[], Awaitable[Timed]]
) -> tuple[Timed, Timed]:
    """Both runs, ours first or the baseline first: drift then favours neither side."""
    if ours_first:
        mine = await ours()
        return mine, await base()
    other = await base()
    return await ours(), other


def _figures(timed: Timed) -> dict[str, Any]:
    return {
        "count": timed.count,
        "seconds": round(timed.seconds, 4),
        "per_s": round(timed.per_second),
        "client_cpu_us_per_msg": round(timed.cpu_us_per_op, 1),
    }


def _against(ours: Timed, **others: Timed) -> dict[str, Any]:
    """Our figures beside the others', and the ratio of ours to the first of them (the
    baseline; any further ones are shown for reference)."""
    baseline = next(iter(others.values()))
    return {
        "ours": _figures(ours),
        **{name: _figures(timed) for name, timed in others.items()},
        "ratio": round(ours.per_second / baseline.per_second, 3),
    }


async def vs_raw(bus: "Bus", ours_first: bool) -> dict[str, Any]:
    lane = Lane(bus)
    await lane.provision()
    raw_durable = await lane.raw_durable()
    # Warm up both paths (validators, reply inboxes, pydantic), outside any timing.
    await lane.typed_pipelined(WINDOW)
    await lane.raw_pipelined(WINDOW)

    typed, rawp = await _in_turn(
        ours_first, lambda: lane.typed_pipelined(PIPELINED), lambda: lane.raw_pipelined(PIPELINED)
    )
    bare = await lane.raw_pipelined(PIPELINED, headers=False)
    gathered = await lane.raw_request_gathered(PIPELINED)
    ours_gathered = await lane.typed_gathered(PIPELINED)

    # Both durables read every event of the runs above: the same content, byte for byte.
    stored = await lane.pending()
    tc, rc = await _in_turn(
        ours_first,
        lambda: lane.typed_consume(stored),
        lambda: lane.raw_consume(raw_durable, stored),
    )
    return {
        "publish_pipelined": _against(
            typed,
            raw=rawp,
            raw_without_headers=bare,
            raw_js_publish_gathered=gathered,
            ours_send_gathered=ours_gathered,
        ),
        "consume": _against(tc, raw=rc),
    }


async def vs_faststream(bus: "Bus", ours_first: bool) -> dict[str, Any]:
    from faststream.middlewares import AckPolicy
    from faststream.nats import JStream, NatsBroker, PullSub

    lane = Lane(bus)
    await lane.provision()
    # FastStream gets a stream of its own, of the same configuration as ours.
    fs_stream, fs_subject = faststream_names(lane.unique)
    config = api.StreamConfig.from_response(
        (await lane.admin_js.stream_info(lane.stream)).config.as_dict()
    )
    config.name, config.subjects = fs_stream, [fs_subject]
    await lane.admin_js.add_stream(config)

    # Ours logs nothing per message either; secured, it connects with its own nkey.
    broker = NatsBroker(bus.url, logger=None, **bus.faststream_options)
    # Its durable takes nats-py's defaults (1,000 acks pending; the contract gives ours
    # 256): if anything, that favours FastStream.
    counter = Counter(FASTSTREAM_CONSUME)

    @broker.subscriber(
        fs_subject,
        stream=JStream(fs_stream, declare=False),
        durable=f"fs-{lane.unique}",
        pull_sub=PullSub(batch_size=FETCH, timeout=1.0),
        ack_policy=AckPolicy.NACK_ON_ERROR,  # as ours: ack when the handler returns
    )
    async def handle(order: OrderPlacedPayload) -> None:
        counter.hit()

    async def fs_publish(count: int) -> Timed:
        watch = Stopwatch()
        watch.start()
        for _ in range(count):
            await broker.publish(lane.order, fs_subject, stream=fs_stream)
        return watch.stop(count)

    async def fs_consume() -> Timed:
        watch = Stopwatch()
        watch.start()
        await broker.start()
        await asyncio.wait_for(counter.done.wait(), GIVE_UP)
        return watch.stop(counter.count)

    await broker.connect()
    try:
        await fs_publish(50)  # warm-up
        await lane.typed_acked(50)
        op, fp = await _in_turn(
            ours_first, lambda: lane.typed_acked(ACKED), lambda: fs_publish(ACKED)
        )
        raw_acked = await lane.raw_acked(ACKED)
        # Top both streams up to the same count, pipelined and untimed, then consume.
        while await lane.pending() < FASTSTREAM_CONSUME:
            await lane.typed_pipelined(WINDOW)
        while (fs_count := int((await lane.admin_js.stream_info(fs_stream)).state.messages)) < (
            FASTSTREAM_CONSUME
        ):
            await asyncio.gather(
                *(broker.publish(lane.order, fs_subject, stream=fs_stream) for _ in range(WINDOW))
            )
        counter.target = fs_count
        ours_count = await lane.pending()
        oc, fc = await _in_turn(ours_first, lambda: lane.typed_consume(ours_count), fs_consume)
    finally:
        await broker.stop()
    return {
        "publish_acked": _against(op, faststream=fp, raw_js_publish=raw_acked),
        "consume": _against(oc, faststream=fc),
    }


async def _paced(send: Callable[[str], Awaitable[object]], sent: dict[str, float]) -> None:
    """Send at LATENCY_RATE for LATENCY_SECONDS, open loop: each send starts at its time,
    whatever the earlier ones are doing; `sent` maps each event id to its send time."""
    loop = asyncio.get_running_loop()
    total = int(LATENCY_RATE * LATENCY_SECONDS)
    begin = loop.time() + 0.05
    tasks = []
    for index in range(total):
        delay = begin + index / LATENCY_RATE - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        event_id = f"lat-{index:06d}-{uuid.uuid4().hex[:8]}"
        sent[event_id] = time.perf_counter()
        tasks.append(asyncio.ensure_future(send(event_id)))
    await asyncio.gather(*tasks)


def _latency_figures(latencies: list[float]) -> dict[str, Any]:
    latencies = sorted(latencies)
    return {
        "count": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
    }


async def latency(bus: "Bus") -> dict[str, Any]:
    total = int(LATENCY_RATE * LATENCY_SECONDS)

    # Ours: the orders app publishes (each awaiting its ack), the notifications app handles.
    lane = Lane(bus)
    await lane.provision()
    sent: dict[str, float] = {}
    seen: list[float] = []
    counter = Counter(total)
    app = lane.consumer_app()

    @app.consumer.receive_order_placed
    async def handle(order: NotificationsOrderPlaced, event: EventContext) -> None:
        seen.append(time.perf_counter() - sent[event.id])
        counter.hit()

    async with app:
        await _paced(lambda event_id: lane.publish(lane.order, event_id=event_id), sent)
        await asyncio.wait_for(counter.done.wait(), GIVE_UP)

    # Raw: js.publish of the same bytes and headers; a fetch(256) + ack loop.
    lane = Lane(bus)
    await lane.provision()
    durable = await lane.raw_durable()
    raw_sent: dict[str, float] = {}
    raw_seen: list[float] = []
    sub = await lane.raw_js.pull_subscribe_bind(durable=durable, stream=lane.stream)

    async def fetch_loop() -> None:
        while len(raw_seen) < total:
            try:
                messages = await sub.fetch(FETCH, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            for msg in messages:
                raw_seen.append(time.perf_counter() - raw_sent[(msg.headers or {})["ce-id"]])
                await msg.ack()

    fetching = asyncio.create_task(fetch_loop())
    await _paced(
        lambda event_id: lane.raw_js.publish(
            lane.subject, lane.body, headers=lane.raw_headers(event_id)
        ),
        raw_sent,
    )
    await asyncio.wait_for(fetching, GIVE_UP)
    await sub.unsubscribe()
    return {
        "rate_per_s": LATENCY_RATE,
        "seconds": LATENCY_SECONDS,
        "ours": _latency_figures(seen),
        "raw": _latency_figures(raw_seen),
    }


LANES = 4  # per set of runs: vs_raw, vs_faststream, and the two of latency


def faststream_names(unique: str) -> tuple[str, str]:
    return f"FASTSTREAM_{unique}", f"fs{unique}.order.placed"


@dataclass
class Bus:
    """The connections of one set of runs, and the lanes' names, known up front."""

    url: str
    ours: NatsClient  # publishes, as orders does
    ours_consumer: NatsClient  # consumes, as notifications does (secured: its own user)
    raw: NatsClient
    admin: NatsClient
    uniques: Iterator[str]
    faststream_options: dict[str, Any] = field(default_factory=dict)


def _bench_permissions(identity: str, uniques: list[str], *sides: str) -> Permissions:
    """What a side may do, secured: the permissions `accord.nats_permissions` generates
    from the lanes' renamed contracts for the service it plays (orders publishing,
    notifications consuming), as the real ones get theirs. The raw baseline plays both
    (it reads through a durable of its own, which neither contract declares); its
    context-only subject (`<subject>.aside`) is the one addition."""
    grants = [Permissions(publish=(), subscribe=())]
    for unique in uniques:
        everyone = {
            "orders": bench_contract(orders.CONTRACT, unique),
            "notifications": bench_contract(notifications.CONTRACT, unique),
        }
        for side in sides:
            grants.append(service_permissions(identity, everyone[side], everyone))
        address = everyone["orders"].operation(PUBLISH).address
        grants.append(Permissions(publish=(f"{address}.aside",), subscribe=()))
    return _merged(grants)


def _faststream_permissions(identity: str, uniques: list[str]) -> Permissions:
    """FastStream's side: a contract of its own stream and subject, through the same
    generator. FastStream 0.7.8 makes its pull subscriptions' inboxes under `_INBOX.`
    whatever the connection's inbox prefix, so it may read every inbox: a grant ours does
    not need (its replies arrive on its own prefix)."""
    grants = [Permissions(publish=(), subscribe=("_INBOX.>",))]
    for unique in uniques:
        stream, subject = faststream_names(unique)
        message = MessageSpec("OrderPlaced", {}, None, subject)
        contract = Contract(
            title="FastStream",
            streams=(StreamSpec(stream, (subject,)),),
            buckets=(),
            operations={"send": OperationSpec("send", "send", subject, message)},
        )
        grants.append(service_permissions(identity, contract, {identity: contract}))
    return _merged(grants)


def _merged(grants: list[Permissions]) -> Permissions:
    def unique(items: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(items))

    return Permissions(
        publish=unique(s for g in grants for s in g.publish),
        subscribe=unique(s for g in grants for s in g.subscribe),
        publish_deny=unique(s for g in grants for s in g.publish_deny),
        allow_responses=any(g.allow_responses for g in grants),
    )


@contextlib.asynccontextmanager
async def bus_of(secured: bool) -> AsyncIterator[Bus]:
    """A fresh server and its connections: open (anonymous, no permissions), or secured as
    the platform runs (each side its own nkey user with generated permissions, the
    operator provisioning, JetStream syncing as the platform's configuration says)."""
    uniques = [uuid.uuid4().hex[:8] for _ in range(LANES)]
    names = ("bench-ours", "bench-ours-consumer", "bench-raw", "bench-fs")
    seeds = {name: new_user_seed() for name in names}
    seeds[OPERATOR] = new_user_seed()
    security = None
    if secured:
        permissions = {
            "bench-ours": _bench_permissions("bench-ours", uniques, "orders"),
            "bench-ours-consumer": _bench_permissions(
                "bench-ours-consumer", uniques, "notifications"
            ),
            "bench-raw": _bench_permissions("bench-raw", uniques, "orders", "notifications"),
            "bench-fs": _faststream_permissions("bench-fs", uniques),
            OPERATOR: operator_permissions(OPERATOR),
        }
        users = [NkeyUser(n, public_key(seeds[n]), p) for n, p in permissions.items()]
        security = ServerSecurity(tuple(users), sync=OPEN_SYNC)
    async with fresh_nats_server(security) as server:
        url = server.address
        if secured:
            ours = await connect_as([url], "bench-ours", seeds["bench-ours"])
            consumer = await connect_as([url], "bench-ours-consumer", seeds["bench-ours-consumer"])
            raw = await connect_as([url], "bench-raw", seeds["bench-raw"])
            admin = await connect_as([url], OPERATOR, seeds[OPERATOR])
            options = {
                "nkeys_seed_str": seeds["bench-fs"],
                "inbox_prefix": inbox_prefix("bench-fs"),
            }
        else:
            # The same connections as secured, anonymous: only auth and permissions differ.
            ours = await connect(url, name="bench-ours")
            consumer = await connect(url, name="bench-ours-consumer")
            raw = await nats.connect(url, name="bench-raw")
            admin, options = raw, {}
        try:
            yield Bus(url, ours, consumer, raw, admin, iter(uniques), options)
        finally:
            for nc in {id(c): c for c in (ours, consumer, raw, admin)}.values():
                await nc.drain()


async def one_repetition(index: int) -> dict[str, Any]:
    """Every measurement once on an open server and once on a secured one, each fresh;
    ours goes first in even repetitions, and the open server first in even ones too."""
    runs: dict[str, Any] = {}
    for secured in (False, True) if index % 2 == 0 else (True, False):
        async with bus_of(secured) as bus:
            ours_first = index % 2 == 0
            runs["secured" if secured else "open"] = {
                **(await vs_raw(bus, ours_first)),
                "faststream": await vs_faststream(bus, ours_first),
                "latency": await latency(bus),
            }
    return runs


# (row name, where in a run, the baseline's key, what the baseline is, target name)
ROWS = (
    (
        "typed publish, pipelined (send_x.many)",
        "publish_pipelined",
        "raw",
        "nats-py publish_async, same bytes and headers",
        "publish_pipelined_vs_raw",
    ),
    (
        "typed pull-consume with ack (fetch 256)",
        "consume",
        "raw",
        "nats-py fetch(256) + ack",
        "consume_vs_raw",
    ),
    (
        "publish, each awaiting its ack",
        "faststream.publish_acked",
        "faststream",
        "FastStream 0.7.8 NatsBroker.publish",
        "publish_acked_vs_faststream",
    ),
    (
        "pull-consume with ack (batch 256)",
        "faststream.consume",
        "faststream",
        "FastStream 0.7.8 pull subscriber",
        "consume_vs_faststream",
    ),
)


def _at(run: dict[str, Any], path: str) -> dict[str, Any]:
    node: Any = run
    for part in path.split("."):
        node = node[part]
    return dict(node)


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repetitions: of each repetition's ratio, and of the absolute rates."""
    rows = []
    for name, path, base, baseline, target_name in ROWS:
        cells = [_at(run, path) for run in runs]
        ratios = [cell["ratio"] for cell in cells]
        target = TARGETS[target_name]
        value = round(median(ratios), 3)
        rows.append(
            {
                "benchmark": name,
                "baseline": baseline,
                "ratio": value,
                "ratios": ratios,
                "target": target,
                "pass": value >= target,
                "ours_per_s": round(median([c["ours"]["per_s"] for c in cells])),
                "baseline_per_s": round(median([c[base]["per_s"] for c in cells])),
                "ours_cpu_us_per_msg": round(
                    median([c["ours"]["client_cpu_us_per_msg"] for c in cells]), 1
                ),
                "baseline_cpu_us_per_msg": round(
                    median([c[base]["client_cpu_us_per_msg"] for c in cells]), 1
                ),
            }
        )
    latency = {
        side: {
            figure: round(median([run["latency"][side][figure] for run in runs]), 3)
            for figure in ("p50_ms", "p99_ms")
        }
        for side in ("ours", "raw")
    }
    return {
        "rows": rows,
        "context": {
            # What the baselines leave out, measured in the same runs.
            "raw_publish_async_without_headers_per_s": round(
                median([r["publish_pipelined"]["raw_without_headers"]["per_s"] for r in runs])
            ),
            "ours_send_256_in_flight_vs_publish_async": round(
                median(
                    [
                        r["publish_pipelined"]["ours_send_gathered"]["per_s"]
                        / r["publish_pipelined"]["raw"]["per_s"]
                        for r in runs
                    ]
                ),
                3,
            ),
            "raw_js_publish_256_in_flight_vs_publish_async": round(
                median(
                    [
                        r["publish_pipelined"]["raw_js_publish_gathered"]["per_s"]
                        / r["publish_pipelined"]["raw"]["per_s"]
                        for r in runs
                    ]
                ),
                3,
            ),
            "raw_js_publish_acked_vs_faststream": round(
                median(
                    [
                        r["faststream"]["publish_acked"]["raw_js_publish"]["per_s"]
                        / r["faststream"]["publish_acked"]["faststream"]["per_s"]
                        for r in runs
                    ]
                ),
                3,
            ),
        },
        "latency": {"rate_per_s": LATENCY_RATE, "seconds": LATENCY_SECONDS, **latency},
    }


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| benchmark | ours (msg/s) | baseline | baseline (msg/s) | ratio, median | "
        "each run | target | result |",
        "| --- | ---: | --- | ---: | ---: | --- | ---: | --- |",
    ]
    for row in summary["rows"]:
        lines.append(
            f"| {row['benchmark']} | {row['ours_per_s']:,} | {row['baseline']} | "
            f"{row['baseline_per_s']:,} | {row['ratio']:.2f}x | "
            f"{', '.join(f'{r:.2f}' for r in row['ratios'])} | ≥ {row['target']}x | "
            f"{'pass' if row['pass'] else 'MISS'} |"
        )
    context = summary["context"]
    lines.append("")
    lines.append(
        "Context, same runs: ours awaiting each send with 256 in flight reaches "
        f"{context['ours_send_256_in_flight_vs_publish_async']}x of publish_async; raw "
        "js.publish with 256 in flight (an awaited request per event, no typing) reaches "
        f"{context['raw_js_publish_256_in_flight_vs_publish_async']}x; raw js.publish "
        "awaiting each ack reaches "
        f"{context['raw_js_publish_acked_vs_faststream']}x of FastStream."
    )
    lat = summary["latency"]
    lines.append("")
    lines.append(
        f"Publish → handler latency at {lat['rate_per_s']:g} events/s for "
        f"{lat['seconds']:g} s: ours p50 {lat['ours']['p50_ms']:.2f} ms, "
        f"p99 {lat['ours']['p99_ms']:.2f} ms; raw nats-py (js.publish + fetch loop) "
        f"p50 {lat['raw']['p50_ms']:.2f} ms, p99 {lat['raw']['p99_ms']:.2f} ms."
    )
    return "\n".join(lines)


def least_privilege(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The cost of authentication and permissions: each row's ratio secured beside open,
    and ours' own throughput secured against open (medians of the repetitions)."""
    open_summary = summarize([run["open"] for run in runs])
    secured_summary = summarize([run["secured"] for run in runs])
    rows = []
    for plain, secured in zip(open_summary["rows"], secured_summary["rows"], strict=True):
        ours = [
            _at(run["secured"], path)["ours"]["per_s"] / _at(run["open"], path)["ours"]["per_s"]
            for run in runs
            for name, path, *_ in ROWS
            if name == plain["benchmark"]
        ]
        rows.append(
            {
                "benchmark": plain["benchmark"],
                "baseline": plain["baseline"],
                "ratio_open": plain["ratio"],
                "ratio_secured": secured["ratio"],
                "ours_secured_vs_open": round(median(ours), 3),
            }
        )
    return {"open": open_summary, "secured": secured_summary, "rows": rows}


def least_privilege_table(summary: dict[str, Any]) -> str:
    lines = [
        "Least privilege (each side its own nkey user, permissions generated from the "
        "contracts) beside an open server, same repetitions:",
        "",
        "| benchmark | baseline | ratio, open | ratio, secured | ours secured ÷ ours open |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for row in summary["rows"]:
        lines.append(
            f"| {row['benchmark']} | {row['baseline']} | {row['ratio_open']:.2f}x | "
            f"{row['ratio_secured']:.2f}x | {row['ours_secured_vs_open']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions, each on a new server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # The consumer's reconnect notice when a repetition's server stops is expected here.
    logging.getLogger("accord.events").setLevel(logging.ERROR)
    began = time.perf_counter()
    runs = []
    for index in range(args.repeats):
        runs.append(asyncio.run(one_repetition(index)))
        print(f"repetition {index + 1} of {args.repeats} done", flush=True)
    both = least_privilege(runs)
    summary = both["secured"]  # the platform runs secured: its figures are the headline
    report = {
        "command": COMMAND.format(repeats=args.repeats),
        "machine": machine(),
        "seconds": round(time.perf_counter() - began, 1),
        "payload_bytes": len(sample_order().model_dump_json(by_alias=True, exclude_unset=True)),
        "targets": TARGETS,
        "summary": summary,
        "least_privilege": both,
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(summary))
    print()
    print(least_privilege_table(both))
    print(f"{report['seconds']} s; written to {RESULTS}")


if __name__ == "__main__":
    main()
