"""What a service declares, and how the platform assembles it: one shape for every service.

A service's `app.py` declares one `Service`: its name, its settings, the gRPC APIs it serves,
its generated event application, and `assemble`, the one function of its own, which builds
its state and registers its event handlers from the `Parts` the platform hands it, and
returns a servicer per API. The platform does the rest, the same way for every service:

- provisions the streams and buckets its contract declares (development; accord.provisioning);
- starts the event application once the handlers are registered and the server is built,
  stops it first on shutdown (and on a start that fails);
- gives each API the access rules its contract names (`Parts.access`, accord.access);
- opens the gateway client of a service that calls others (`Parts.gateway`);
- serves gRPC with health, reflection, error mapping and the contract's enforcement
  (accord.service, accord.grpc_server).

`python -m services.<name>` runs it (`Service.run_forever`); tests start it with
`Service.start(settings)`; the tooling finds every declaration (accord.tooling.services).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, Generic, Protocol, TypeVar

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.access import Access
from accord.events import Contract, EventApplication
from accord.gateway_client import GatewayClient
from accord.provisioning import provision_at_start
from accord.service import RunningService, Wiring, run_service_forever, start_service
from accord.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)
E = TypeVar("E", bound=EventApplication)
E_co = TypeVar("E_co", bound=EventApplication, covariant=True)
Stop = Callable[[], Awaitable[None]]


class EventsFactory(Protocol[E_co]):
    """A generated `acme_events.<service>.Application` class: its contract unless given one."""

    def __call__(self, nc: NatsClient, *, contract: Contract | None = None) -> E_co: ...


@dataclass(frozen=True)
class Api:
    """One gRPC API a service serves: its descriptor and its generated registration."""

    descriptor: ServiceDescriptor
    add_to_server: Callable[[Any, grpc.aio.Server], None]

    @classmethod
    def named(cls, name: str, pb: ModuleType, pb_grpc: ModuleType) -> "Api":
        """`Api.named("PaymentService", payments_pb2, payments_pb2_grpc)`: the service of that
        name in the generated modules (KeyError, AttributeError when they have none)."""
        descriptor = pb.DESCRIPTOR.services_by_name[name]
        return cls(descriptor, getattr(pb_grpc, f"add_{name}Servicer_to_server"))

    @property
    def full_name(self) -> str:
        """acme.payments.v1.PaymentService: what the gateway routes to the service."""
        return str(self.descriptor.full_name)


@dataclass(slots=True, eq=False)
class Parts(Generic[S, E]):
    """What the platform hands a service's `assemble`: its connection, settings and event
    application, its contract's access rules, and hooks for what it starts and stops."""

    name: str
    apis: tuple[Api, ...]
    nc: NatsClient
    settings: S
    events: E
    js: JetStreamContext = field(init=False)
    _gateway: GatewayClient | None = field(default=None, init=False)
    _after_start: list[Stop] = field(default_factory=list, init=False)
    _stop_first: list[Stop] = field(default_factory=list, init=False)
    _close_last: list[Stop] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.js = self.nc.jetstream()

    def access(self, api: Api | None = None) -> Access:
        """Who may reach which records of `api` (of the service's one API when not named):
        its contract's admin scope and owner rule."""
        if api is None:
            if len(self.apis) != 1:
                raise ValueError(f"{self.name} serves {len(self.apis)} APIs: name one")
            (api,) = self.apis
        return Access.of(api.full_name, api.descriptor.file.pool)

    def gateway(self) -> GatewayClient:
        """The service's client of the edge, as itself (its API key holds its declaration's
        `gateway_scopes`); closed after the event handlers that use it have stopped."""
        if self._gateway is None:
            self._gateway = GatewayClient.open(self.settings, self.name)
            self._close_last.append(self._gateway.close)
        return self._gateway

    def after_start(self, step: Stop) -> None:
        """Run `step` once the event application has started (e.g. a seed that publishes).
        The server is already taking calls then (its health says NOT_SERVING until the
        steps are done, which the edge waits for): a direct caller may come first."""
        self._after_start.append(step)

    def on_stop(self, stop: Stop, *, before_events: bool = False) -> None:
        """Run `stop` on shutdown: after the event handlers stopped (a client they use), or,
        `before_events`, before them (a background task that feeds them)."""
        (self._stop_first if before_events else self._close_last).append(stop)

    def stops(self) -> list[Stop]:
        """In Wiring.on_stop's order (run last to first): the tasks that feed the handlers,
        then the event application, then what the handlers use."""
        return [*self._close_last, self.events.stop, *reversed(self._stop_first)]

    async def started(self) -> None:
        await self.events.start()
        for step in self._after_start:
            await step()

    async def abandon(self) -> None:
        """Stop what assembling started and opened before it failed, as on shutdown."""
        for stop in reversed(self.stops()):
            await stop()


# A service's own assembly: its state and handlers from the parts, a servicer per API.
Assemble = Callable[[Parts[S, E]], Awaitable[Sequence[object]]]


def _nothing_else(own: Contract) -> Sequence[Contract]:
    return ()


@dataclass(frozen=True)
class Service(Generic[S, E]):
    """What a service is. `app.py` declares one, as `SERVICE`; nothing else is assembled by
    hand."""

    name: str
    settings: type[S]
    apis: tuple[Api, ...]
    events: EventsFactory[E]
    assemble: Assemble[S, E]
    # What it calls other services with, through the gateway (its API key holds just these).
    gateway_scopes: tuple[str, ...] = ()
    # The event contract with what the settings override (tests shorten retry delays);
    # None: the generated one.
    contract: Callable[[S], Contract] | None = None
    # Other contracts whose streams it consumes and provisions too in development, so that
    # it starts alone (given its own contract).
    provision_also: Callable[[Contract], Sequence[Contract]] = _nothing_else

    @property
    def services(self) -> tuple[str, ...]:
        """The gRPC services it serves, by full name: what the gateway routes here."""
        return tuple(api.full_name for api in self.apis)

    async def build(self, nc: NatsClient, settings: S) -> Wiring:
        """Provision and assemble: the wiring accord.service serves, whose `start` starts the
        event handlers once the server is built."""
        contract = self.contract(settings) if self.contract is not None else None
        events = self.events(nc, contract=contract)
        await provision_at_start(settings, [events.contract, *self.provision_also(events.contract)])
        parts = Parts(self.name, self.apis, nc, settings, events)
        try:
            servicers = await self.assemble(parts)
            if len(servicers) != len(self.apis):
                raise TypeError(
                    f"{self.name}: assemble returned {len(servicers)} servicers for "
                    f"{len(self.apis)} APIs"
                )
        except BaseException:
            await parts.abandon()
            raise
        return Wiring(
            registrars=[_registrar(api, s) for api, s in zip(self.apis, servicers, strict=True)],
            services=self.services,
            on_stop=parts.stops(),
            start=parts.started,
        )

    async def start(self, settings: S) -> RunningService:
        """Start it with `settings` (tests: a free port, their own NATS)."""
        return await start_service(self.name, settings, self.build)

    def run_forever(self) -> None:
        """`python -m services.<name>`: settings from the environment, until SIGTERM."""
        run_service_forever(self.name, self.settings(), self.build)

    def with_assembly(self, assemble: Assemble[S, E]) -> "Service[S, E]":
        """The same service assembled otherwise (tests: calls to other services over given
        channels instead of the gateway)."""
        return replace(self, assemble=assemble)


def _registrar(api: Api, servicer: object) -> Callable[[grpc.aio.Server], None]:
    return lambda server: api.add_to_server(servicer, server)
