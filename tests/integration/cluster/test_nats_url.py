"""NATS_URL may list every node of a cluster; services connect with the whole list."""

import pytest

from accord.service import connect_nats
from accord.settings import CommonSettings
from accord.tooling.nats_cluster import NatsCluster
from tests.integration.cluster._support import (
    Published,
    add_r3_stream,
    connected_node,
    publish_until_acked,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "nats_url",
    [
        "nats://a:4222,nats://b:4222,nats://c:4222",
        " nats://a:4222 , nats://b:4222,nats://c:4222, ",  # pasted by hand
    ],
)
def test_a_comma_separated_nats_url_gives_every_server(
    monkeypatch: pytest.MonkeyPatch, nats_url: str
) -> None:
    monkeypatch.setenv("NATS_URL", nats_url)
    servers = CommonSettings().resolved_nats_servers()
    assert servers == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]


async def test_connect_nats_with_the_listed_servers_reaches_the_cluster_and_fails_over(
    healthy_cluster: NatsCluster, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    """A service's own connection, from settings: it uses the cluster's R3 streams and,
    when the node it is connected to dies, moves to another node of the list."""
    cluster = healthy_cluster
    monkeypatch.setenv("NATS_URL", ", ".join(cluster.urls))
    servers = CommonSettings().resolved_nats_servers()
    assert servers == cluster.urls

    nc = await connect_nats(servers, f"settings-{unique}")
    try:
        assert {url.port for url in nc.servers} >= {node.port for node in cluster.nodes}
        js = nc.jetstream()
        stream, subject = f"URL_{unique}", f"cluster.url.{unique}"
        await add_r3_stream(cluster, js, stream, subject)
        published = Published()
        await publish_until_acked(js, subject, f"{unique}-before", published)

        first = connected_node(cluster, nc)
        assert first is not None
        await cluster.kill(first)
        await publish_until_acked(js, subject, f"{unique}-after", published)

        assert connected_node(cluster, nc) not in (first, None)
        assert published.acked == {f"{unique}-before", f"{unique}-after"}
        info = await js.stream_info(stream)
        assert info.config.num_replicas == 3
        assert info.state.messages == 2
    finally:
        await nc.close()
