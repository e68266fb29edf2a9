"""Run inside a copy of the tree to which a service was added (tests/e2e/test_adding_a_service.py):
`python -m tests.e2e.new_service_scenario NAME HOME` starts a nats-server configured from the
copy's contracts, the new service as `make run` finds it, and the edge in front of it, makes
the calls below through the edge (and one straight at the service) and prints what each
answered, as JSON. It names no service: all it knows of NAME is what the contracts and the
service's declaration say. The service's API is taken to be support's, renamed."""

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import nats
from google.protobuf import timestamp_pb2

from accord.call_metadata import channel_with_metadata
from accord.settings import CommonSettings
from accord.tooling import devkeys
from accord.tooling.nats_config import development_security
from accord.tooling.nats_server import NatsServer
from accord.tooling.services import discover_services, gateway_callers
from tests.support.running import edge


async def _code(call: Awaitable[Any]) -> str:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return str(error.code().name)
    return "OK"


async def main(name: str, home: Path) -> dict[str, Any]:
    os.environ.update(
        ACCORD_MODE="development",
        ACCORD_HOME=str(home),
        ACCORD_NATS_IDENTITIES=str(home / "identities"),
    )
    pb = importlib.import_module(f"acme.{name}.v1.{name}_pb2")
    pb_grpc = importlib.import_module(f"acme.{name}.v1.{name}_pb2_grpc")
    (service,) = [s for s in discover_services() if s.name == name]
    server = NatsServer(home / "nats", security=development_security(CommonSettings()))
    await server.start()
    devkeys.ensure_dev_keys(home, gateway_callers())
    running = await service.start(service.settings(port=0, nats_url=server.url, home=home))
    routes = {api: [f"127.0.0.1:{running.port}"] for api in service.services}
    channels: list[grpc.aio.Channel] = []

    try:
        async with edge(home, routes, rate_limit_per_s=0) as gateway:

            def stub_as(subject: str | None, *scopes: str) -> Any:
                metadata: list[tuple[str, str]] = []
                if subject is not None:
                    token = devkeys.mint_token(subject, scopes, home=home)
                    metadata = [("authorization", f"Bearer {token}")]
                address = f"127.0.0.1:{gateway.port}"
                channels.append(channel_with_metadata(address, lambda method: metadata))
                return _stub(pb_grpc, channels[-1])

            answers = await _calls(name, pb, pb_grpc, stub_as, running.port)
        answers["events"] = await _events(server.url, f"acme.{name}.v1.ticket.opened")
        return answers
    finally:
        for channel in channels:
            await channel.close()
        await running.stop()
        await server.stop()


def _stub(pb_grpc: Any, channel: grpc.aio.Channel) -> Any:
    """The one service stub the generated module has."""
    (stub,) = [getattr(pb_grpc, n) for n in dir(pb_grpc) if n.endswith("ServiceStub")]
    return stub(channel)


async def _calls(
    name: str, pb: Any, pb_grpc: Any, stub_as: Callable[..., Any], direct_port: int
) -> dict[str, Any]:
    read, staff, opener = f"{name}:read", f"{name}:staff", f"{name}:tickets:open"
    opened = await stub_as("svc-monitor", opener).OpenTicket(
        pb.OpenTicketRequest(
            ticket_key="checkout-web.E42.alice",
            customer_id="alice",
            title="E42 in checkout-web",
            description="upstream timed out after 30s",
            application="checkout-web",
            error_code="E42",
            fingerprint="0123456789abcdef",
            suggested_fix="Check your connection.",
            occurrence_id="occurrence-1",
            occur_time=timestamp_pb2.Timestamp(seconds=int(time.time())),
        )
    )
    ticket = pb.GetTicketRequest(ticket_id=opened.ticket.ticket_id)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{direct_port}") as direct:
        unsigned = await _code(_stub(pb_grpc, direct).GetTicket(ticket))
    return {
        "opened_for": opened.ticket.customer_id,
        "owner_gets_it": await _code(stub_as("alice", read).GetTicket(ticket)),
        "another_customer_gets_it": await _code(stub_as("bob", read).GetTicket(ticket)),
        "admin_gets_it": await _code(stub_as("staff-1", read, staff).GetTicket(ticket)),
        "owner_lists_own": await _code(
            stub_as("alice", read).ListTickets(pb.ListTicketsRequest(customer_id="alice"))
        ),
        "owner_lists_another": await _code(
            stub_as("alice", read).ListTickets(pb.ListTicketsRequest(customer_id="bob"))
        ),
        "admin_lists_another": await _code(
            stub_as("staff-1", read, staff).ListTickets(pb.ListTicketsRequest(customer_id="bob"))
        ),
        "without_the_scope": await _code(stub_as("alice", "orders:read").GetTicket(ticket)),
        "without_credentials": await _code(stub_as(None).GetTicket(ticket)),
        "straight_at_the_service_unsigned": unsigned,
    }


async def _events(nats_url: str, subject: str) -> list[str]:
    """The customer of every event stored on `subject`, as a developer reads them."""
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe(subject, ordered_consumer=True)
        msg = await sub.next_msg(timeout=5)
        return [json.loads(msg.data)["customerId"]]
    finally:
        await nc.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], Path(sys.argv[2])))))
