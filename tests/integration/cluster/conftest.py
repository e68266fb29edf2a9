"""One 3-node JetStream cluster for the session's cluster tests.

Tests that kill a node restart it before they end (in `finally`), so the next test finds
three healthy nodes again; each test uses its own streams, subjects and durables.
"""

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NatsClient

from accord.tooling.nats_cluster import NatsCluster
from accord.tooling.nats_config import ServerSecurity
from tests.integration.cluster._support import cluster_client


@pytest.fixture(scope="session")
async def cluster(
    tmp_path_factory: pytest.TempPathFactory, nats_security: ServerSecurity
) -> AsyncIterator[NatsCluster]:
    nodes = NatsCluster(tmp_path_factory.mktemp("cluster"), size=3, security=nats_security)
    await nodes.start()
    try:
        yield nodes
    finally:
        await nodes.stop()


@pytest.fixture
async def healthy_cluster(cluster: NatsCluster) -> AsyncIterator[NatsCluster]:
    """The session cluster, with every node back up and current after the test."""
    await cluster.wait_healthy(list(range(len(cluster.nodes))))
    try:
        yield cluster
    finally:
        for node in range(len(cluster.nodes)):
            if not cluster.running(node):
                await cluster.restart(node)


@pytest.fixture
async def client(healthy_cluster: NatsCluster) -> AsyncIterator[NatsClient]:
    nc = await cluster_client(healthy_cluster, "cluster-test")
    try:
        yield nc
    finally:
        await nc.close()
