"""Publishing that retries with the same id, and a consumer that counts what it sees.

Plain nats-py, on purpose: these helpers are the yardstick the cluster tests hold
JetStream to, so they add nothing that could hide a loss or a duplicate.
"""

import asyncio
import collections
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from accord.tooling.nats_cluster import NatsCluster

# What a publish meets while a stream elects a new leader, or while the client reconnects
# after its server died: nothing is known to be stored, so retry with the same id.
RETRYABLE = (
    TimeoutError,  # nats.errors.TimeoutError, and the bare one some nats-py paths raise
    nats.errors.NoRespondersError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
)
# JetStream's answer to a retry that arrives while the first try with that id is still
# being stored (the replicas syncing it to disk, say): nothing to do but try again.
IN_PROCESS = 10158
PUBLISH_TIMEOUT = 1.0
FIRST_BACKOFF, MAX_BACKOFF = 0.05, 0.5
ERROR_PAUSE = 0.1


async def cluster_client(cluster: NatsCluster, name: str) -> NatsClient:
    """A client that knows every node and never gives up reconnecting, like a service."""
    return await nats.connect(
        servers=cluster.urls,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
        connect_timeout=2,
    )


def connected_node(cluster: NatsCluster, client: NatsClient) -> int | None:
    """The node `client` is connected to now (None if to none of them)."""
    url = client.connected_url
    ports = [node.port for node in cluster.nodes]
    return ports.index(url.port) if url is not None and url.port in ports else None


async def add_r3_stream(
    cluster: NatsCluster, js: JetStreamContext, stream: str, subject: str
) -> None:
    """An R3 stream, once it has elected its leader (publishes find no responder before).
    A duplicate window of 2 minutes: longer than any retry in these tests."""
    await js.add_stream(name=stream, subjects=[subject], num_replicas=3, duplicate_window=120)
    await cluster.wait_stream_leader(js, stream)


@dataclass
class Published:
    """What the publisher tried and what JetStream acknowledged, by message id."""

    attempted: list[str] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    attempts: int = 0
    duplicate_acks: int = 0  # a retry of an attempt that was stored after all
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    longest_stall: float = 0.0  # seconds between two acks: reported, never asserted
    _last_ack: float | None = field(default=None, init=False, repr=False)
    _waiters: list[tuple[int, asyncio.Event]] = field(default_factory=list, repr=False)

    def when_acked(self, count: int) -> asyncio.Event:
        """An event set once `count` messages are acked."""
        reached = asyncio.Event()
        self._waiters.append((count, reached))
        return reached

    def record_ack(self, msg_id: str, duplicate: bool) -> None:
        now = time.monotonic()
        if self._last_ack is not None:
            self.longest_stall = max(self.longest_stall, now - self._last_ack)
        self._last_ack = now
        self.acked.add(msg_id)
        self.duplicate_acks += duplicate
        for count, reached in self._waiters:
            if len(self.acked) >= count:
                reached.set()


async def publish_until_acked(
    js: JetStreamContext, subject: str, msg_id: str, published: Published
) -> None:
    """Publish `msg_id` (also the payload) and retry with the same id until acked."""
    published.attempted.append(msg_id)
    delay = FIRST_BACKOFF
    while True:
        published.attempts += 1
        try:
            ack = await js.publish(
                subject,
                msg_id.encode(),
                timeout=PUBLISH_TIMEOUT,
                headers={"Nats-Msg-Id": msg_id},
            )
        except (*RETRYABLE, nats.js.errors.APIError) as exc:
            if not isinstance(exc, RETRYABLE) and exc.err_code != IN_PROCESS:
                raise
            published.errors[type(exc).__name__] += 1
            await asyncio.sleep(delay)
            delay = min(2 * delay, MAX_BACKOFF)
            continue
        published.record_ack(msg_id, bool(ack.duplicate))
        return


async def publish_all(
    js: JetStreamContext, subject: str, ids: Iterable[str], published: Published
) -> None:
    for msg_id in ids:
        await publish_until_acked(js, subject, msg_id, published)


@dataclass
class Consumed:
    """Every delivery the consumer acked: the stream sequences seen for each id."""

    sequences: dict[str, set[int]] = field(default_factory=lambda: collections.defaultdict(set))
    deliveries: int = 0
    redelivered: int = 0  # the same stream sequence again: an ack lost in a failover
    errors: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def ids(self) -> set[str]:
        return set(self.sequences)

    def duplicated(self) -> set[str]:
        """Ids stored more than once (at two stream sequences): what dedup must prevent."""
        return {msg_id for msg_id, seqs in self.sequences.items() if len(seqs) > 1}

    def record(self, msg: Msg) -> None:
        msg_id, seq = msg.data.decode(), msg.metadata.sequence.stream
        self.deliveries += 1
        self.redelivered += seq in self.sequences[msg_id]
        self.sequences[msg_id].add(seq)


async def add_durable(js: JetStreamContext, stream: str, durable: str) -> None:
    # Replicated like its stream (R3); a short ack wait so an ack lost in a failover comes
    # back soon as a redelivery rather than holding the test up.
    config = ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=5)
    await js.add_consumer(stream, config)


async def consume_until_drained(
    js: JetStreamContext, stream: str, durable: str, publishing_done: asyncio.Event
) -> Consumed:
    """Fetch and ack until publishing is over and the consumer has nothing pending or
    unacknowledged: then everything the stream stored has been delivered and acked."""
    consumed = Consumed()
    subscription = await js.pull_subscribe_bind(durable=durable, stream=stream)
    try:
        while True:
            try:
                batch = await subscription.fetch(200, timeout=1.0)
            except TimeoutError:  # nats-py's fetch raises the bare asyncio one: nothing yet
                batch = []
            except nats.errors.Error as exc:  # a leader change of the consumer, a reconnect
                consumed.errors[type(exc).__name__] += 1
                await asyncio.sleep(ERROR_PAUSE)
                batch = []
            for msg in batch:
                consumed.record(msg)
                await msg.ack()
            if not batch and publishing_done.is_set() and await _drained(js, stream, durable):
                return consumed
    finally:
        await subscription.unsubscribe()


async def _drained(js: JetStreamContext, stream: str, durable: str) -> bool:
    try:
        info = await js.consumer_info(stream, durable)
    except (nats.errors.Error, TimeoutError):
        return False
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)
