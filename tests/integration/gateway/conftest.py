"""Fixtures for the gateway's tests: the test-only echo contract, echo backends, gateways.

Everything is real: the contract is compiled with buf, backends and the gateway are grpc.aio
servers on free loopback ports, and calls go over the network through the gateway.
"""

import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, message_factory
from google.protobuf.message import Message

from accord.auth import Authenticator, AuthSettings
from accord.descriptors import load_image, services_in
from accord.enforcement import Caller, ContractEnforcement, method_contracts_of_image
from accord.identity import PrincipalVerifier
from accord.tooling import devkeys
from gateway.routes import descriptor_pool_of
from gateway.server import Gateway
from gateway.settings import GatewaySettings
from tests.integration.gateway.echo_backend import EchoBackend

V3 = "accordtest.echo.v3.EchoService"
# The earlier versions are v3 at earlier stages of its lifecycle: the same service and
# messages in a package of their own, with the lifecycle option of their stage.
EARLIER_VERSIONS = {
    "v1": 'stage: STAGE_SUNSET deprecated_date: "2026-01-01" sunset_date: "2026-06-30" '
    'successor: "accordtest.echo.v2.EchoService"',
    "v2": 'stage: STAGE_DEPRECATED deprecated_date: "2026-11-01" sunset_date: "2027-06-30" '
    'successor: "accordtest.echo.v3.EchoService" '
    'migration_guide_url: "https://example.com/echo/v3-migration"',
}

StartGateway = Callable[..., Awaitable[Gateway]]


def earlier_version(stable: str, version: str, lifecycle: str) -> str:
    """The text of v3's echo.proto (`stable`) as `version` at the stage `lifecycle` says."""
    changes = {
        "package accordtest.echo.v3;": f"package accordtest.echo.{version};",
        "stage: STAGE_STABLE": lifecycle,
    }
    for old, new in changes.items():
        assert stable.count(old) == 1, f"v3's echo.proto must hold {old!r} once"
        stable = stable.replace(old, new)
    return stable


@pytest.fixture(scope="session")
def echo_image(
    repo_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> descriptor_pb2.FileDescriptorSet:
    """The echo contract (tests/fixtures/gateway: v3, and v1 and v2 written from it) and the
    platform options, built by buf."""
    module = tmp_path_factory.mktemp("echo-module")
    echo = module / "accordtest" / "echo"
    shutil.copytree(repo_root / "tests/fixtures/gateway/accordtest", module / "accordtest")
    stable = (echo / "v3" / "echo.proto").read_text()
    for version, lifecycle in EARLIER_VERSIONS.items():
        (echo / version).mkdir()
        (echo / version / "echo.proto").write_text(earlier_version(stable, version, lifecycle))
    shutil.copytree(repo_root / "proto/accordapis", module / "accordapis")
    (module / "buf.yaml").write_text("version: v2\nmodules:\n  - path: .\n")
    image = module / "image.binpb"
    buf = repo_root / ".venv/bin/buf"
    subprocess.run([str(buf), "build", "-o", str(image)], cwd=module, check=True)
    return load_image(image)


@pytest.fixture(scope="session")
def echo_types(echo_image: descriptor_pb2.FileDescriptorSet) -> tuple[type[Message], type[Message]]:
    """EchoRequest and EchoResponse; every version has the same fields."""
    pool = descriptor_pool_of(echo_image)
    request = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("accordtest.echo.v3.EchoRequest")
    )
    response = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("accordtest.echo.v3.EchoResponse")
    )
    return request, response


@pytest.fixture(scope="session")
def auth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ACCORD_HOME of the tests' gateways: the development keys tokens are minted with."""
    home = tmp_path_factory.mktemp("accord-home")
    devkeys.ensure_dev_keys(home)
    return home


def echo_enforcement(
    image: descriptor_pb2.FileDescriptorSet, home: Path, **limits: int
) -> grpc.aio.ServerInterceptor:
    """The contract-enforcement interceptor every service runs, over the echo contract;
    `limits` are ContractEnforcement's (max_request_bytes, max_streams_per_principal)."""
    services = [s.full_name for s in services_in(image)]
    caller = Caller(
        Authenticator.from_settings(AuthSettings.model_validate({"ACCORD_HOME": str(home)})),
        lambda service: PrincipalVerifier(
            service, key_file=devkeys.principal_public_key_path(home)
        ),
    )
    return ContractEnforcement(method_contracts_of_image(image, services), caller, **limits)


@pytest.fixture
async def backend(
    echo_types: tuple[type[Message], type[Message]],
    echo_image: descriptor_pb2.FileDescriptorSet,
    auth_home: Path,
) -> AsyncIterator[EchoBackend]:
    a = EchoBackend("a", *echo_types, echo_enforcement(echo_image, auth_home))
    async with a.serving() as started:
        yield started


@pytest.fixture
async def start_gateway(
    echo_image: descriptor_pb2.FileDescriptorSet, auth_home: Path
) -> AsyncIterator[StartGateway]:
    """Start gateways over the echo contract; each is stopped when the test ends."""
    started: list[Gateway] = []

    async def start(
        routes: dict[str, list[str]],
        image: descriptor_pb2.FileDescriptorSet | None = None,
        **settings: Any,
    ) -> Gateway:
        options: dict[str, Any] = {
            "listen": "127.0.0.1:0",
            "metrics_listen": "",
            "health_check_interval_s": 0.1,
            "mode": "development",
            "routes": routes,
            "auth": AuthSettings.model_validate({"ACCORD_HOME": str(auth_home)}),
        }
        options.update(settings)
        gateway = Gateway(GatewaySettings.model_validate(options), image or echo_image)
        await gateway.start()
        started.append(gateway)
        return gateway

    try:
        yield start
    finally:
        for gateway in started:
            await gateway.stop(0)


@pytest.fixture
async def gateway(start_gateway: StartGateway, backend: EchoBackend) -> Gateway:
    """A gateway routing every echo version to one backend."""
    return await start_gateway({"accordtest.echo": [backend.address]})


@pytest.fixture
async def channel(gateway: Gateway) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as opened:
        yield opened


def token(auth_home: Path, subject: str, *scopes: str) -> str:
    return devkeys.mint_token(subject, scopes, home=auth_home)
