"""`make run`: NATS (embedded unless NATS_URL is set), every service, then the gateway.

Services are found, not listed: every `services/<name>/app.py` that declares its SERVICE
(accord.skeleton) is started with `python -m services.<name>`, in the order of its default port.
The gateway is started last, routing each service's gRPC APIs to it, so the address it prints
is the one front door: every example goes through it with a development token.

Every process is supervised (`accord.tooling.supervision`): one that exits unasked (a crash, a
`kill -9`) is restarted on the same port with backoff while the rest goes on serving, and
each restart is logged. Only a crash loop (more than five restarts within a minute) stops
the platform, with a message naming the process and exit status 1. Each process's pid is in
`.accord/run/<name>.pid` while it runs.
"""

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from accord.ports import PortReservation, free_port
from accord.settings import NATS_URL_FILE, CommonSettings
from accord.tooling import devkeys
from accord.tooling.examples import EXAMPLE_SUBJECT, customer_scopes, example_calls
from accord.tooling.nats_config import development_security, ensure_contract_identities
from accord.tooling.nats_server import NatsServer
from accord.tooling.services import AnyService, discover_services, gateway_callers, settings_of
from accord.tooling.streams import provision_all
from accord.tooling.supervision import Child, ProcessChild, Start, Supervised

READY_TIMEOUT = 60.0
RUN_DIR = "run"  # under ACCORD_HOME: a pid file per running process
EXAMPLE_TOKEN_TTL = 12 * 3600


@dataclass
class Process:
    """One process of the platform: a service, or the gateway, kept running by its
    supervisor."""

    name: str
    port: int
    services: tuple[str, ...]
    supervised: Supervised

    @property
    def exited(self) -> int | None:
        """The exit status of a first start that did not live to serve; None while it runs."""
        child = self.supervised.child
        if isinstance(child, ProcessChild):
            return child.process.returncode
        return None


def prepare_development(settings: CommonSettings, services: list[AnyService]) -> None:
    """Development: every key and credential the platform's processes will read, made now
    (development tokens' signing key and JWKS, the gateway's principal key, services' API
    keys, NATS identities): in the runtime nothing makes a key."""
    devkeys.ensure_dev_keys(settings.home, gateway_callers(services))
    ensure_contract_identities(settings)


async def _spawn(module: str, env: dict[str, str]) -> Child:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env={**os.environ, **env}, stdin=asyncio.subprocess.DEVNULL
    )
    return ProcessChild(process)


def _supervised(name: str, start: Start, home: Path) -> Supervised:
    """`name` kept running, its pid written to <home>/run/<name>.pid at each start."""
    pid_file = home / RUN_DIR / f"{name}.pid"

    def started(child: Child) -> None:
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{child.pid}\n")

    return Supervised(name, start, on_start=started)


def _gateway_listen(held: list[PortReservation]) -> tuple[str, int]:
    """Where the gateway will listen: known before the services start, because services that
    call each other do it through the gateway (accord.gateway_client). A port picked here is
    held (`held`) until the edge listens on it."""
    from gateway.settings import GatewaySettings  # the gateway's own defaults and overrides

    host, _, port_text = GatewaySettings().listen.rpartition(":")
    return host, int(port_text) or _held_port(held)


def _held_port(held: list[PortReservation]) -> int:
    reservation = PortReservation()
    held.append(reservation)
    return reservation.port


async def _start_service(
    service: AnyService, nats_url: str, gateway: tuple[str, int], home: Path
) -> Process:
    settings = settings_of(service)
    # Port 0 in the environment (tests do this) means "any free one": pick it here, so that
    # the address can be printed and handed to the gateway.
    port = settings.port or free_port()
    prefix = str(service.settings.model_config.get("env_prefix", ""))
    host, gateway_port = gateway
    caller_host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host
    env = {
        "NATS_URL": nats_url,
        f"{prefix}PORT": str(port),
        "ACCORD_GATEWAY_ADDRESS": f"{caller_host}:{gateway_port}",
    }
    name = service.name
    supervised = _supervised(name, lambda: _spawn(f"services.{name}", env), home)
    await supervised.start()
    return Process(name, port, service.services, supervised)


async def _start_gateway(
    services: list[Process], listen: tuple[str, int], home: Path, held: list[PortReservation]
) -> Process:
    from gateway.settings import GatewaySettings  # the gateway's own defaults and overrides

    settings = GatewaySettings()
    host, port = listen
    routes = {api: [f"127.0.0.1:{s.port}"] for s in services for api in s.services}
    env = {"ACCORD_GATEWAY_LISTEN": f"{host}:{port}", "ACCORD_GATEWAY_ROUTES": json.dumps(routes)}
    metrics_host, _, metrics_port = settings.metrics_listen.rpartition(":")
    if metrics_port == "0":
        env["ACCORD_GATEWAY_METRICS_LISTEN"] = f"{metrics_host}:{_held_port(held)}"
    supervised = _supervised("gateway", lambda: _spawn("gateway", env), home)
    await supervised.start()
    return Process("gateway", port, tuple(routes), supervised)


async def _wait_serving(member: Process) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{member.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service="")
        while True:
            if member.exited is not None:
                raise RuntimeError(f"{member.name} exited with {member.exited} before it served")
            with contextlib.suppress(grpc.aio.AioRpcError):
                reply = await health.Check(request, timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            await asyncio.sleep(0.1)


async def _stop(members: list[Process], grace: float = 15.0) -> None:
    """The gateway first (no new calls), then the services, each draining its own work."""
    for member in reversed(members):
        await member.supervised.stop(grace)


def _banner(nats_url: str, embedded: bool, members: list[Process], token: str | None) -> str:
    where = "embedded nats-server" if embedded else "NATS_URL"
    lines = ["", "Accord is running. Ctrl-C stops everything."]
    gateway, services = members[-1], members[:-1]
    width = max(len(member.name) for member in members)
    lines.append(f"  {'NATS':<{width}} {nats_url} ({where})")
    lines.append(
        f"  {'gateway':<{width}} 127.0.0.1:{gateway.port}  the front door to every API below"
    )
    lines += [f"  {s.name:<{width}} 127.0.0.1:{s.port}  {', '.join(s.services)}" for s in services]
    scopes = customer_scopes()
    if token is None:  # production mode: tokens come from the configured issuer
        lines += ["", "Production mode: export TOKEN=<a token from your issuer>"]
    else:
        flags = " ".join(f"--scope {scope}" for scope in scopes)
        lines += [
            "",
            f"A development token for {EXAMPLE_SUBJECT} (the scopes of every customer's method: "
            f"{', '.join(scopes)}), valid 12 hours;",
            f"make another with `.venv/bin/accord token --sub {EXAMPLE_SUBJECT} {flags}`:",
            f"  export TOKEN={token}",
        ]
    lines += ["", "Try the contracts' examples through the gateway:"]
    for method, request in example_calls(name for s in services for name in s.services):
        lines += [
            f"  .venv/bin/grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{request}' \\",
            f"    127.0.0.1:{gateway.port} {method}",
        ]
    return "\n".join(lines) + "\n"


def _example_token(home: Path) -> str:
    from accord.auth import AuthSettings  # the issuer and audience the gateway checks

    auth = AuthSettings()
    return devkeys.mint_token(
        EXAMPLE_SUBJECT,
        customer_scopes(),
        ttl=EXAMPLE_TOKEN_TTL,
        issuer=auth.issuer,
        audience=auth.audience,
        home=home,
    )


async def _until_signal_or_crash_loop(supervised: list[Supervised]) -> int:
    """Keep every process running until Ctrl-C or SIGTERM (0), or a crash loop (1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    keepers = [asyncio.ensure_future(member.keep_running()) for member in supervised]
    stopped = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait([stopped, *keepers], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in (stopped, *keepers):
            future.cancel()
        await asyncio.gather(stopped, *keepers, return_exceptions=True)
    if stopped in done:
        return 0
    for keeper in done:
        error = keeper.exception()
        if error is not None:
            print(f"accord: {error}; stopping the platform", file=sys.stderr, flush=True)
    return 1


async def _run() -> int:
    settings = CommonSettings()
    settings.home.mkdir(parents=True, exist_ok=True)
    services = discover_services()
    if settings.development:
        # Every key and credential first: processes only read them (accord.keys).
        prepare_development(settings, services)
    url_file = settings.home / NATS_URL_FILE
    nats: Supervised | None = None
    members: list[Process] = []
    try:
        if settings.nats_url:
            nats_url = str(settings.nats_url)
        else:
            nats = await _start_embedded_nats(settings)
            assert isinstance(nats.child, NatsServer)
            nats_url = nats.child.address
            url_file.write_text(nats_url + "\n")
        # Every contract's streams before any service, as the operator: one service's
        # consumers read another's streams (notifications reads ORDERS).
        await provision_all(settings)
        held: list[PortReservation] = []  # the edge's ports, until it listens on them
        gateway = _gateway_listen(held)
        for service in services:
            members.append(await _start_service(service, nats_url, gateway, settings.home))
        await asyncio.wait_for(asyncio.gather(*map(_wait_serving, members)), READY_TIMEOUT)
        members.append(await _start_gateway(members, gateway, settings.home, held))
        await asyncio.wait_for(_wait_serving(members[-1]), READY_TIMEOUT)
        for reservation in held:
            reservation.release()
        token = _example_token(settings.home) if settings.development else None
        print(_banner(nats_url, nats is not None, members, token), flush=True)
        everyone = [m.supervised for m in members] + ([nats] if nats else [])
        return await _until_signal_or_crash_loop(everyone)
    finally:
        await _stop(members)
        if nats is not None:
            await nats.stop(10.0)
            url_file.unlink(missing_ok=True)
        shutil.rmtree(settings.home / RUN_DIR, ignore_errors=True)


async def _start_embedded_nats(settings: CommonSettings) -> Supervised:
    """The embedded nats-server on a free port first, then on that same port at a restart,
    with the configuration generated from the contracts: each service its own user."""
    home, port = settings.home, 0
    security = development_security(settings)

    async def start() -> Child:
        nonlocal port
        server = NatsServer(home / "nats", port=port, security=security)
        await server.start()
        port = server.port
        return server

    nats = _supervised("nats-server", start, home)
    await nats.start()
    return nats


def run_platform() -> int:
    return asyncio.run(_run())
