"""The base of every generated application: its contract, settings, wire and endpoints."""

import asyncio
from typing import Generic, Protocol, Self, TypeVar

from nats.aio.client import Client as NatsClient

from accord.events._contract import Contract, OperationSpec
from accord.events._settings import EventSettings
from accord.events._wire import JetStreamWire


class Endpoint(Protocol):
    """One operation of the contract, bound to an application."""

    operation: OperationSpec

    @property
    def ready(self) -> bool:
        """False while a receiving endpoint has no handler."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


H = TypeVar("H")


class HandledOperation(Generic[H]):
    """A receiving endpoint's one handler, registered with `@app.consumer.<operation>`."""

    operation: OperationSpec
    _handler: H | None = None

    def __call__(self, handler: H) -> H:
        if self._handler is not None:
            raise RuntimeError(f"{self.operation.key} already has a handler")
        self._handler = handler
        return handler

    @property
    def ready(self) -> bool:
        return self._handler is not None


class Sending:
    """A sending endpoint (a publisher, the client of a request operation): always ready,
    with nothing to prepare or release: a publish or a request needs only the connection."""

    @property
    def ready(self) -> bool:
        return True

    async def start(self) -> None:
        """Nothing to prepare."""

    async def stop(self) -> None:
        """Nothing to release."""


class EventApplication:
    """Start and stop every endpoint of one contract together.

    Everything lives on the instance (contract, settings, codecs, subscriptions), so any
    number of applications, of one contract or of several, can share a process.
    """

    def __init__(self, nc: NatsClient, *, contract: Contract, settings: EventSettings) -> None:
        self.wire = JetStreamWire(nc)
        self.contract = contract
        self.settings = settings
        self._endpoints: list[Endpoint] = []
        self._started: list[Endpoint] = []

    def register(self, endpoint: Endpoint) -> None:
        self._endpoints.append(endpoint)

    async def start(self) -> None:
        """Provision (when the settings ask), then start every endpoint that has work."""
        missing = [e.operation.key for e in self._endpoints if not e.ready]
        if missing and self.settings.require_handlers:
            raise RuntimeError(
                f"{self.contract.title}: no handler for {', '.join(missing)}; register one "
                "with @app.consumer.<operation>, or set require_handlers=False"
            )
        if self.settings.provision:
            from accord.events._provision import provision  # only development provisions

            await provision(self.wire.js, [self.contract])
        try:
            for endpoint in self._endpoints:
                if endpoint.ready:
                    await endpoint.start()
                    self._started.append(endpoint)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop fetching, let in-flight handlers finish (settings.stop_timeout), settle
        their messages, then unsubscribe. The connection stays open: its owner drains it."""
        started, self._started = self._started, []
        await asyncio.gather(*(endpoint.stop() for endpoint in started))

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
