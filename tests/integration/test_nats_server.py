"""The embedded nats-server starts with JetStream, serves, and leaves no process behind."""

from pathlib import Path

import nats
import pytest

from accord.tooling.nats_server import NatsServer
from tests.support.processes import alive

pytestmark = pytest.mark.integration


async def test_starts_on_a_free_port_with_jetstream_and_stops_cleanly(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "store")
    await server.start()
    pid = server.pid
    assert pid is not None
    assert server.port != 0
    client = await nats.connect(server.url)
    try:
        info = await client.jetstream().account_info()
        assert info.limits is not None
    finally:
        await client.close()
    await server.stop()
    assert not alive(pid)
    assert server.pid is None


async def test_two_servers_side_by_side_get_their_own_ports(tmp_path: Path) -> None:
    first, second = NatsServer(tmp_path / "a"), NatsServer(tmp_path / "b")
    try:
        await first.start()
        await second.start()
        assert first.port != second.port
    finally:
        await first.stop()
        await second.stop()


async def test_a_failed_start_names_the_cause_and_leaves_nothing(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "store", extra_args=["--no-such-flag"])
    with pytest.raises(RuntimeError, match="exited before it was ready"):
        await server.start()
    assert server.pid is None
