"""kill -9 of an R3 stream's leader while thousands of publishes retry with the same id."""

import asyncio

import pytest
from nats.aio.client import Client as NatsClient

from accord.tooling.nats_cluster import NatsCluster
from tests.integration.cluster._support import (
    Published,
    add_durable,
    add_r3_stream,
    cluster_client,
    consume_until_drained,
    publish_all,
)

pytestmark = pytest.mark.integration

MESSAGES = 3_000
KILL_AFTER_ACKS = 500


async def _kill_leader_when(
    reached: asyncio.Event,
    cluster: NatsCluster,
    client: NatsClient,
    stream: str,
    published: Published,
) -> tuple[int, int]:
    """Once `reached` (some hundreds acked), kill -9 whichever node leads the stream.
    Returns the node and how many publishes were acked when it died."""
    await reached.wait()
    leader = await cluster.stream_leader(client.jetstream(), stream)
    await cluster.kill(leader)
    return leader, len(published.acked)


async def test_killing_the_stream_leader_loses_and_duplicates_nothing(
    healthy_cluster: NatsCluster, client: NatsClient, unique: str
) -> None:
    """Every acked publish is consumed once, across a kill -9 of the stream's leader.

    The publisher retries each message with the same `Nats-Msg-Id` until it is acked
    (timeouts and no-responders while a new leader is elected are expected), so a retry of
    an attempt that was stored after all is dropped by the stream's duplicate window. A
    durable pull consumer, on a connection that knows all three nodes, reads concurrently.

    This proves replication and deduplication across a leader failover, not durability on
    disk: JetStream acknowledges a publish before it syncs it to disk (`sync_interval`
    defaults to 2 minutes), and the page cache of a killed process survives on its host.
    Losing a whole machine, or its power, is another test.
    """
    cluster = healthy_cluster
    stream, subject, durable = f"LEADER_{unique}", f"cluster.leader.{unique}", f"reader_{unique}"
    js = client.jetstream()
    await add_r3_stream(cluster, js, stream, subject)
    await add_durable(js, stream, durable)

    publisher = await cluster_client(cluster, f"publisher-{unique}")
    reader = await cluster_client(cluster, f"reader-{unique}")
    published, done = Published(), asyncio.Event()
    kill_point = published.when_acked(KILL_AFTER_ACKS)
    killer = asyncio.create_task(_kill_leader_when(kill_point, cluster, client, stream, published))
    consumer = asyncio.create_task(consume_until_drained(reader.jetstream(), stream, durable, done))
    try:
        ids = (f"{unique}-{n:05d}" for n in range(MESSAGES))
        await publish_all(publisher.jetstream(), subject, ids, published)
        done.set()
        killed, acked_at_kill = await killer
        consumed = await consumer
        info = await js.stream_info(stream)
        new_leader = await cluster.stream_leader(js, stream)
    finally:
        killer.cancel()
        consumer.cancel()
        await publisher.close()
        await reader.close()

    lost = published.acked - consumed.ids
    duplicated = consumed.duplicated()
    print(
        f"\n[leader kill] killed {cluster.names[killed]} (stream leader) after "
        f"{acked_at_kill} acks; new leader {cluster.names[new_leader]}\n"
        f"  attempted={len(published.attempted)} acked={len(published.acked)} "
        f"consumed={len(consumed.ids)} lost={len(lost)} duplicated={len(duplicated)}\n"
        f"  publish attempts={published.attempts} retry errors={dict(published.errors)} "
        f"acked-as-duplicate={published.duplicate_acks} "
        f"longest gap between acks={published.longest_stall:.1f}s\n"
        f"  deliveries={consumed.deliveries} redelivered={consumed.redelivered} "
        f"fetch errors={dict(consumed.errors)} stored={info.state.messages}"
    )
    assert acked_at_kill < MESSAGES  # the leader died mid-run, not after it
    assert new_leader != killed
    assert published.acked == set(published.attempted)
    assert not lost
    assert not duplicated
    # Nothing stored beyond the acked ids either (a duplicate the consumer could miss).
    assert info.state.messages == len(published.acked) == MESSAGES
