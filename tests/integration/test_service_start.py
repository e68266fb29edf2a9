"""A service whose start fails stops what it assembled before it closes NATS (accord.skeleton,
accord.service): the server and the contract enforcement are built before any event handler
starts, and a failed start runs the wiring's on_stop."""

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.ports import free_port
from accord.skeleton import Parts
from accord.tooling.nats_server import NatsServer
from services.support import app as support_app

pytestmark = pytest.mark.integration


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another process already listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def _recorded(steps: list[str], fail_after_start: bool = False) -> Any:
    """The support service, assembled as always, recording what starts and what stops; with
    `fail_after_start`, a step after its handlers started fails."""

    async def assemble(parts: Parts[Any, Any]) -> list[object]:
        servicers = await support_app.assemble(parts)

        async def started() -> None:
            steps.append("handlers started")
            if fail_after_start:
                raise RuntimeError("the seed failed")

        async def stopped() -> None:
            steps.append("stopped")

        parts.after_start(started)
        parts.on_stop(stopped)
        return servicers

    return support_app.SERVICE.with_assembly(assemble)


async def test_a_taken_port_stops_what_was_assembled_and_starts_no_handler(
    nats_server: NatsServer, accord_home: Path, taken_port: int
) -> None:
    steps: list[str] = []
    service = _recorded(steps)
    settings = service.settings(port=taken_port, nats_url=nats_server.url, home=accord_home)
    with pytest.raises(RuntimeError, match="bind"):
        await service.start(settings)
    assert steps == ["stopped"]


async def test_a_start_that_fails_after_the_handlers_started_stops_them_and_the_server(
    nats_server: NatsServer, accord_home: Path
) -> None:
    steps: list[str] = []
    service = _recorded(steps, fail_after_start=True)
    port = free_port()
    settings = service.settings(port=port, nats_url=nats_server.url, home=accord_home)
    with pytest.raises(RuntimeError, match="the seed failed"):
        await service.start(settings)
    assert steps == ["handlers started", "stopped"]
    with socket.socket() as again:  # the port was given back
        again.bind(("127.0.0.1", port))


async def test_a_started_service_runs_its_handlers_and_stops_them(
    nats_server: NatsServer, accord_home: Path
) -> None:
    steps: list[str] = []
    service = _recorded(steps)
    running = await service.start(
        service.settings(port=0, nats_url=nats_server.url, home=accord_home)
    )
    try:
        assert steps == ["handlers started"]
    finally:
        await running.stop(0)  # a failed assertion leaves no port or connection behind
    assert steps == ["handlers started", "stopped"]
    assert running.nats.is_closed
