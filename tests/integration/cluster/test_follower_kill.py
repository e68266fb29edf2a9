"""Killing a follower of an R3 stream disturbs nothing; the node comes back and catches up."""

import asyncio

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.tooling.nats_cluster import NatsCluster
from tests.integration.cluster._support import (
    Consumed,
    Published,
    add_durable,
    add_r3_stream,
    connected_node,
    consume_until_drained,
    publish_all,
)

pytestmark = pytest.mark.integration

BATCH = 200


async def _round(
    js: JetStreamContext, stream: str, subject: str, durable: str, tag: str
) -> tuple[Published, Consumed]:
    """Publish a batch, then consume until the durable has nothing left."""
    published, done = Published(), asyncio.Event()
    await publish_all(js, subject, (f"{tag}-{n:04d}" for n in range(BATCH)), published)
    done.set()
    return published, await consume_until_drained(js, stream, durable, done)


def _check(label: str, published: Published, consumed: Consumed) -> None:
    print(
        f"  {label}: acked={len(published.acked)} consumed={len(consumed.ids)} "
        f"retries={published.attempts - len(published.attempted)} "
        f"duplicated={len(consumed.duplicated())}"
    )
    assert published.acked == consumed.ids == set(published.attempted)
    assert not consumed.duplicated()


async def test_a_client_of_all_three_nodes_rides_out_a_follower_kill_and_restart(
    healthy_cluster: NatsCluster, client: NatsClient, unique: str
) -> None:
    """One client, all three URLs: publish and consume before, during and after a
    follower's kill -9, after its restart, and with the other follower down too (so the
    restarted node's replica is part of the quorum that acknowledges)."""
    cluster = healthy_cluster
    stream, subject, durable = f"FOLLOW_{unique}", f"cluster.follow.{unique}", f"reader_{unique}"
    js = client.jetstream()
    await add_r3_stream(cluster, js, stream, subject)
    await add_durable(js, stream, durable)
    leader = await cluster.stream_leader(js, stream)
    followers = await cluster.stream_followers(js, stream)
    # The follower this client is connected to, if any: then the kill also moves the client.
    here = connected_node(cluster, client)
    victim = here if here in followers else followers[0]
    other = next(node for node in followers if node != victim)
    print(
        f"\n[follower kill] leader {cluster.names[leader]}, killing {cluster.names[victim]}"
        f" (client connected to it: {victim == here})"
    )

    _check("all up", *await _round(js, stream, subject, durable, f"{unique}-a"))

    await cluster.kill(victim)
    _check("follower down", *await _round(js, stream, subject, durable, f"{unique}-b"))
    # No election: the leader never changed.
    assert await cluster.stream_leader(js, stream) == leader

    await cluster.restart(victim)  # returns once /healthz says it is current again
    _check("follower back", *await _round(js, stream, subject, durable, f"{unique}-c"))

    await cluster.kill(other)
    _check("other follower down", *await _round(js, stream, subject, durable, f"{unique}-d"))
    await cluster.restart(other)

    info = await js.stream_info(stream)
    assert info.state.messages == 4 * BATCH
    assert info.cluster is not None
    assert info.cluster.leader == cluster.names[leader]
    assert sorted(peer.name or "" for peer in info.cluster.replicas or []) == sorted(
        cluster.names[node] for node in followers
    )
