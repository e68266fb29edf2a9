"""`make run`: NATS (embedded unless NATS_URL is set), then every service, each a process.

Services are found, not listed: every `services/<name>/app.py` that names its NAME, Settings
and SERVICES is started with `python -m services.<name>`, in the order of its default port.
"""

import asyncio
import contextlib
import importlib
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from accord.nats_server import NatsServer
from accord.settings import NATS_URL_FILE, CommonSettings, ServiceSettings

SERVICES_DIR = Path("services")
READY_TIMEOUT = 60.0


@dataclass
class ServiceProcess:
    name: str
    port: int
    services: tuple[str, ...]
    process: asyncio.subprocess.Process | None = None


def discover_services(root: Path = SERVICES_DIR) -> list[ModuleType]:
    apps = [
        importlib.import_module(f"services.{app.parent.name}.app")
        for app in sorted(root.glob("*/app.py"))
    ]
    return sorted(apps, key=lambda app: _settings_of(app).port)


def _settings_of(app: ModuleType) -> ServiceSettings:
    settings: ServiceSettings = app.Settings()
    return settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _start(app: ModuleType, nats_url: str) -> ServiceProcess:
    settings = _settings_of(app)
    # Port 0 in the environment (tests do this) means "any free one": pick it here, so that
    # the address can be printed and handed to others.
    port = settings.port or _free_port()
    prefix = str(app.Settings.model_config.get("env_prefix", ""))
    env = {**os.environ, "NATS_URL": nats_url, f"{prefix}PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{app.NAME}", env=env, stdin=asyncio.subprocess.DEVNULL
    )
    return ServiceProcess(app.NAME, port, tuple(app.SERVICES), process)


async def _wait_serving(service: ServiceProcess) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service="")
        while True:
            assert service.process is not None
            if service.process.returncode is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
            with contextlib.suppress(grpc.aio.AioRpcError):
                reply = await health.Check(request, timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            await asyncio.sleep(0.1)


async def _stop(services: list[ServiceProcess], grace: float = 15.0) -> None:
    running = [s.process for s in services if s.process and s.process.returncode is None]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()


def _banner(nats_url: str, embedded: bool, services: list[ServiceProcess]) -> str:
    where = "embedded nats-server" if embedded else "NATS_URL"
    lines = ["", "Accord is running. Ctrl-C stops everything.", f"  NATS      {nats_url} ({where})"]
    lines += [f"  {s.name:<9} 127.0.0.1:{s.port}  {', '.join(s.services)}" for s in services]
    orders = next((s for s in services if s.name == "orders"), None)
    if orders is not None:
        request = (
            '{"request_id": "r-1", "customer_id": "alice", "lines": [{"sku": "TEA-1", '
            '"quantity": 2, "unit_price": {"currency_code": "USD", "units": 4, '
            '"nanos": 500000000}}]}'
        )
        lines += [
            "",
            "Place an order:",
            f"  .venv/bin/grpcurl -plaintext -d '{request}' \\",
            f"    127.0.0.1:{orders.port} acme.orders.v2.OrderService/PlaceOrder",
        ]
    return "\n".join(lines) + "\n"


async def _until_signal_or_exit(services: list[ServiceProcess]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.ensure_future(s.process.wait()) for s in services if s.process]
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait([stopped, *waits], return_when=asyncio.FIRST_COMPLETED)
    for future in (stopped, *waits):
        future.cancel()
    if stopped in done:
        return 0
    dead = [s.name for s in services if s.process and s.process.returncode is not None]
    print(f"accord: {', '.join(dead)} exited; stopping the platform", file=sys.stderr)
    return 1


async def _run() -> int:
    settings = CommonSettings()
    settings.home.mkdir(parents=True, exist_ok=True)
    url_file = settings.home / NATS_URL_FILE
    embedded = None if settings.nats_url else NatsServer(settings.home / "nats")
    services: list[ServiceProcess] = []
    try:
        if embedded is not None:
            await embedded.start()
            url_file.write_text(embedded.url + "\n")
        nats_url = embedded.url if embedded else str(settings.nats_url)
        for app in discover_services():
            services.append(await _start(app, nats_url))
        await asyncio.wait_for(asyncio.gather(*map(_wait_serving, services)), READY_TIMEOUT)
        print(_banner(nats_url, embedded is not None, services), flush=True)
        return await _until_signal_or_exit(services)
    finally:
        await _stop(services)
        if embedded is not None:
            await embedded.stop()
            url_file.unlink(missing_ok=True)


def run_platform() -> int:
    return asyncio.run(_run())
