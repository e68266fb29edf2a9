"""A service is a process: NATS connection, gRPC server, started and stopped together.

`start_service` is what tests call (free port, their own NATS); `run_service_forever` is what
`python -m services.<name>` calls: it adds signal handling and drains on SIGTERM.
"""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import nats
from joserfc.errors import JoseError
from nats.aio.client import Client as NatsClient

from accord.auth import AuthSettings
from accord.enforcement import ContractEnforcement
from accord.grpc_server import GrpcServer, Registrar, bind_grpc_server, mutual_tls
from accord.identity import read_public_key
from accord.nats_auth import connect_as, service_seed, tls_context
from accord.nats_health import NatsHealth
from accord.settings import ConfigurationError, ServiceSettings

log = logging.getLogger("accord.service")


Step = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    pass


@dataclass
class Wiring:
    """What a service's build step hands back: servicers, what to start once the server is
    built (its event handlers), and what to stop on shutdown."""

    registrars: Sequence[Registrar]
    services: Sequence[str]  # full names, for health and reflection
    on_stop: list[Step] = field(default_factory=list)
    start: Step = _nothing

    async def stop(self) -> None:
        """Run `on_stop` last to first: on shutdown, and when the start fails half-way."""
        for stop in reversed(self.on_stop):
            await stop()


S = TypeVar("S", bound=ServiceSettings)
# A service's build step: given its NATS connection and its settings, its wiring.
Build = Callable[[NatsClient, S], Awaitable[Wiring]]


@dataclass
class RunningService:
    name: str
    grpc: GrpcServer
    nats: NatsClient
    wiring: Wiring
    health: "NatsHealth | None" = None
    # How it was started, so that it can be started again (`start_again`).
    started_with: "tuple[ServiceSettings, Build[Any]] | None" = None

    @property
    def port(self) -> int:
        return self.grpc.port

    async def start_again(self) -> "RunningService":
        """A new start of this service once stopped: as it was started, on the same port."""
        if self.started_with is None:
            raise RuntimeError(f"{self.name} was not started by start_service")
        settings, build = self.started_with
        again = settings.model_copy(update={"port": self.port})
        return await start_service(self.name, again, build)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking calls, let in-flight ones finish, then stop consumers and NATS."""
        if self.health is not None:
            self.health.stopping()  # a reconnect now must not report SERVING again
        await self.grpc.stop(grace)
        await self.wiring.stop()
        if self.nats.is_connected:
            await self.nats.drain()
        elif not self.nats.is_closed:  # NATS is away: nothing to drain, and drain would raise
            await self.nats.close()


_RECONNECT: dict[str, Any] = {
    "max_reconnect_attempts": -1,
    "reconnect_time_wait": 0.5,
    "connect_timeout": 5,
}


def _watched_by(health: NatsHealth) -> dict[str, Any]:
    """Each event of the connection is one log line (nats-py's default logs a traceback per
    reconnect attempt), and the service's gRPC health follows it."""
    return {
        "disconnected_cb": health.disconnected,
        "reconnected_cb": health.reconnected,
        "error_cb": health.error,
    }


async def connect_nats(
    servers: list[str], name: str, health: NatsHealth | None = None
) -> NatsClient:
    """A connection with the credentials the URLs carry, if any (scripts, tests)."""
    # Keep reconnecting for ever: a NATS restart must not end a service.
    watched = _watched_by(health or NatsHealth(name))
    return await nats.connect(servers=servers, name=name, **_RECONNECT, **watched)


async def connect_service(
    settings: ServiceSettings, name: str, health: NatsHealth | None = None
) -> NatsClient:
    """The service's own connection: its nkey, its inbox, TLS when configured. What it
    may do there, its contract decides (accord.nats_permissions)."""
    return await connect_as(
        settings.resolved_nats_servers(),
        name,
        service_seed(settings, name),
        tls=tls_context(settings),
        **_RECONNECT,
        **_watched_by(health or NatsHealth(name)),
    )


def enforcement(settings: ServiceSettings, wiring: Wiring) -> ContractEnforcement:
    """The service's own contract check (accord.enforcement): tokens against the edge's JWKS,
    issuer and audience (ACCORD_GATEWAY_* settings, keys under the service's ACCORD_HOME in
    development), principal headers against the edge's public key."""
    auth = AuthSettings.model_validate(
        {"ACCORD_HOME": str(settings.home), "ACCORD_MODE": settings.mode}
    )
    return ContractEnforcement.for_services(
        wiring.services,
        auth,
        settings.principal_public_key_file,
        max_streams_per_principal=settings.max_streams_per_principal,
        max_request_bytes=settings.max_receive_message_bytes,
    )


def _credentials(settings: ServiceSettings) -> grpc.ServerCredentials | None:
    files = (settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)
    if not any(files):
        return None
    cert, key, client_ca = files
    if cert is None or key is None or client_ca is None:
        raise ValueError("TLS needs ACCORD_TLS_CERT_FILE, ACCORD_TLS_KEY_FILE and _CLIENT_CA_FILE")
    return mutual_tls(cert, key, client_ca)


def check_keys(settings: ServiceSettings) -> None:
    """In production, the gateway's public key must be configured and readable at start, not
    found missing at the first call. ConfigurationError says what is wrong."""
    if settings.development:
        return  # the gateway creates the development key; services read it on first use
    path = settings.principal_public_key_file  # ConfigurationError when not configured
    try:
        read_public_key(path)
    except (OSError, ValueError, JoseError) as error:
        raise ConfigurationError(
            f"cannot read the gateway's public key from ACCORD_IDENTITY_PUBLIC_KEY_FILE "
            f"{path}: {error}"
        ) from error


async def start_service(name: str, settings: S, build: Build[S]) -> RunningService:
    """Connect and build; then what can fail (the contract enforcement, the server on its
    port) before the event handlers start, so that such a failure has consumed nothing; and
    a start that fails all the same stops the server and what was assembled (the wiring's
    on_stop) before it closes NATS. SERVING once the handlers run."""
    check_keys(settings)
    health = NatsHealth(name)
    nc = await connect_service(settings, name, health)
    try:
        wiring = await build(nc, settings)
    except BaseException:
        await nc.close()
        raise
    grpc_server: GrpcServer | None = None
    try:
        grpc_server = bind_grpc_server(
            settings.address,
            wiring.registrars,
            wiring.services,
            [enforcement(settings, wiring)],
            _credentials(settings),
            settings.max_receive_message_bytes,
        )
        await grpc_server.start(serving=False)
        await wiring.start()
        await grpc_server.set_serving(True)
    except BaseException:
        try:  # a stop that fails too must not keep NATS open, nor hide the first error
            if grpc_server is not None:
                await grpc_server.stop(0)
            await wiring.stop()
        finally:
            await nc.close()
        raise
    await health.follow(grpc_server, nc)
    log.info("%s serving gRPC on %s:%d", name, settings.host, grpc_server.port)
    return RunningService(name, grpc_server, nc, wiring, health, (settings, build))


async def _serve_until_signalled(name: str, settings: S, build: Build[S]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = await start_service(name, settings, build)
    await stop.wait()
    log.info("%s stopping: draining in-flight calls", name)
    await running.stop(settings.grace_seconds)


def run_service_forever(name: str, settings: S, build: Build[S]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(_serve_until_signalled(name, settings, build))
    except ConfigurationError as error:
        log.error("%s refuses to start: %s", name, error)
        sys.exit(2)
