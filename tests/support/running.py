"""Fixture factories for the real services, their own NATS and the edge: what every
service's conftest used to copy.

    support_service = service_fixture(SERVICE)                  # started once a session
    stub_as = callers("support_service", pb_grpc.SupportServiceStub, *CUSTOMER_SCOPES)
    staff = caller("staff", *STAFF_SCOPES)                      # a stub as one caller

The service runs against the session's nats-server in the development home whose keys the
tests sign with (`accord_home`, `gateway_key`: tests/integration/conftest.py), on a free port,
and is stopped at the end of the session. A settings value given as `from_fixture(name)` is
that fixture's value (e.g. an address chosen by another fixture).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from accord.auth import AuthSettings
from accord.service import RunningService
from accord.skeleton import Service
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from gateway.server import Gateway
from gateway.settings import GatewaySettings
from tests.support.gateways import gateway_running
from tests.support.principals import stubs_as
from tests.support.servers import nats_in, serving

StubAs = Callable[..., AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class from_fixture:
    """A settings value taken from the fixture `name`."""

    name: str


def _taking(names: list[str], function: Callable[..., Any]) -> Callable[..., Any]:
    """`function(**fixtures)` as pytest sees a function of the fixtures `names`: pytest sets
    them up first (an async fixture cannot set up another from inside its own loop)."""
    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names]
    function.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return function


def service_fixture(
    service: Service[Any, Any],
    *,
    after: tuple[str, ...] = (),
    grace: float = 5.0,
    **settings: Any,
) -> Any:
    """A session fixture: `service` started with `settings` (port 0, the session's NATS and
    home unless given), once the fixtures named in `after` have been (e.g. the service whose
    start creates the streams this one consumes); stopped with `grace` seconds for calls in
    flight."""
    taken = [value.name for value in settings.values() if isinstance(value, from_fixture)]

    async def running(**fixtures: Any) -> AsyncIterator[RunningService]:
        given = {
            key: fixtures[value.name] if isinstance(value, from_fixture) else value
            for key, value in settings.items()
        }
        defaults = {
            "port": 0,
            "nats_url": fixtures["nats_server"].url,
            "home": fixtures["accord_home"],
        }
        async with serving(service, service.settings(**(defaults | given)), grace) as started:
            yield started

    names = ["nats_server", "accord_home", "gateway_key", *after, *taken]
    return pytest.fixture(scope="session")(_taking(list(dict.fromkeys(names)), running))


def callers(running: str, stub: Callable[[grpc.aio.Channel], Any], *default_scopes: str) -> Any:
    """A fixture: `async with stub_as("alice") as stub:` calls the service of the fixture
    `running` directly, as the gateway would sign alice holding `default_scopes` (or the
    scopes given after the subject)."""

    def stub_as(**fixtures: Any) -> StubAs:
        service: RunningService = fixtures[running]
        address = f"127.0.0.1:{service.port}"
        opener: StubAs = stubs_as(address, fixtures["gateway_key"], stub, *default_scopes)
        return opener

    return pytest.fixture(_taking([running, "gateway_key"], stub_as))


def caller(subject: str, *scopes: str) -> Any:
    """A fixture: a stub (from the test's `stub_as`, see `callers`) as `subject` holding
    `scopes`, open for one test."""

    @pytest.fixture
    async def as_caller(stub_as: StubAs) -> AsyncIterator[Any]:
        async with stub_as(subject, *scopes) as opened:
            yield opened

    return as_caller


def nats_server_fixture(folder: str, scope: str = "session") -> Any:
    """A fixture: a nats-server of the tests' own (not the session's), configured as the
    session's is (the contracts' permissions), with its JetStream store in a new `folder`."""

    async def server(
        tmp_path_factory: pytest.TempPathFactory, nats_security: ServerSecurity
    ) -> AsyncIterator[NatsServer]:
        async with nats_in(tmp_path_factory.mktemp(folder), nats_security) as started:
            yield started

    return pytest.fixture(scope=scope)(server)  # type: ignore[call-overload]


@asynccontextmanager
async def edge(
    home: Path,
    routes: Mapping[str, Sequence[str]],
    listen: str = "127.0.0.1:0",
    **settings: Any,
) -> AsyncIterator[Gateway]:
    """The real gateway on `listen` in front of `routes` (API or package → addresses), over
    the keys of `home`, checking backends' health every tenth of a second; `settings`
    override the rest (e.g. `rate_limit_per_s=0`)."""
    configured = GatewaySettings.model_validate(
        {
            "listen": listen,
            "metrics_listen": "",
            "health_check_interval_s": 0.1,
            "routes": {name: list(addresses) for name, addresses in routes.items()},
            "auth": AuthSettings.model_validate({"ACCORD_HOME": str(home)}),
            **settings,
        }
    )
    async with gateway_running(configured) as gateway:
        yield gateway
