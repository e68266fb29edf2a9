"""Typed event subscriptions: `async for event in subscriber.subscribe(OrderPlaced, durable=...)`
over a durable JetStream pull consumer, for NATS clients that hold credentials for it.

Each event arrives as its generated payload model plus its CloudEvents attributes (binary
mode: `ce-*` headers). An event is acknowledged when the loop asks for the next one, that is
once the body handled it; leaving the loop (break, or an exception in the body) acknowledges
nothing, and the event in hand is redelivered. An event that does not match its contract
(undecodable, invalid, or from a source other than the channel's owner) can never succeed:
it is terminated, logged, and skipped.
"""

import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext, api
from pydantic import BaseModel, ValidationError

log = logging.getLogger("acme_sdk.events")
Payload = TypeVar("Payload", bound=BaseModel)
_PARAMETER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
# NATS subject tokens: a parameter value must be exactly one token.
_TOKEN = re.compile(r"^[^.*>\s]+$")


@dataclass(frozen=True)
class EventType(Generic[Payload]):
    """One event a service publishes, as its AsyncAPI contract declares it."""

    name: str  # the message name, e.g. OrderPlaced
    address: str  # the channel address: a NATS subject, parameters in braces
    stream: str  # the JetStream stream that keeps it
    event_type: str  # its CloudEvents type (ce-type)
    source: str  # the only ce-source that may publish it
    payload: type[Payload]

    def subject(self, parameters: Mapping[str, str]) -> str:
        """The subject to read: each parameter given fills its place, the rest match any."""
        unknown = set(parameters) - set(_PARAMETER.findall(self.address))
        if unknown:
            raise ValueError(f"{self.name} has no parameter {', '.join(sorted(unknown))}")

        def fill(match: re.Match[str]) -> str:
            value = parameters.get(match.group(1))
            if value is None:
                return "*"
            if not _TOKEN.fullmatch(value):
                raise ValueError(f"{match.group(1)} must be one subject token, not {value!r}")
            return value

        return _PARAMETER.sub(fill, self.address)


class Event(Generic[Payload]):
    """One delivered event: its data, typed, and its CloudEvents attributes.

    A plain class with slots, not a dataclass: one is made per event, on the hot path."""

    __slots__ = ("data", "headers", "subject", "_msg")

    def __init__(self, data: Payload, headers: Mapping[str, str], msg: Msg) -> None:
        self.data = data
        self.headers = headers
        self.subject: str = msg.subject
        self._msg = msg

    @property
    def id(self) -> str:
        return self.headers.get("ce-id", "")

    @property
    def source(self) -> str:
        return self.headers.get("ce-source", "")

    @property
    def type(self) -> str:
        return self.headers.get("ce-type", "")

    @property
    def time(self) -> str:
        return self.headers.get("ce-time", "")

    @property
    def delivery(self) -> int:
        """1 the first time; more when redelivered (read from the message when asked)."""
        return int(self._msg.metadata.num_delivered or 1)

    def __repr__(self) -> str:
        return f"Event({self.type!r}, id={self.id!r}, subject={self.subject!r})"


# eq=False, repr=False: a subscription is itself, not equal to another of the same consumer
# (and hashable), and its fields are private, as an SDK object's are.
@dataclass(slots=True, eq=False, repr=False)
class Subscription(Generic[Payload]):
    """The events of one durable consumer, in order: an async iterator, and an async context
    manager whose entry makes sure the consumer exists (so no event published after it is
    missed) and whose exit stops fetching (the durable consumer stays, with its position).
    `EventSubscriber.subscribe` makes one."""

    _nc: NatsClient
    _event: EventType[Payload]
    _durable: str
    _subject: str
    _start: Literal["new", "all"]
    _batch: int
    _pull: JetStreamContext.PullSubscription | None = field(default=None, init=False)
    _events: AsyncGenerator[Event[Payload], None] | None = field(default=None, init=False)

    async def open(self) -> None:
        """Bind to the durable consumer, creating it on first use."""
        if self._pull is None:
            policy = api.DeliverPolicy.NEW if self._start == "new" else api.DeliverPolicy.ALL
            self._pull = await self._nc.jetstream().pull_subscribe(
                self._subject,
                durable=self._durable,
                stream=self._event.stream,
                config=api.ConsumerConfig(deliver_policy=policy, ack_policy=api.AckPolicy.EXPLICIT),
            )

    async def close(self) -> None:
        if self._events is not None:
            await self._events.aclose()
            self._events = None
        if self._pull is not None:
            await self._pull.unsubscribe()
            self._pull = None

    def __aiter__(self) -> AsyncIterator[Event[Payload]]:
        if self._events is None:
            self._events = self._deliver()
        return self._events

    async def __aenter__(self) -> "Subscription[Payload]":
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _deliver(self) -> AsyncGenerator[Event[Payload], None]:
        await self.open()
        assert self._pull is not None
        while True:
            try:
                messages = await self._pull.fetch(self._batch, timeout=5.0)
            except NatsTimeout:
                continue
            for msg in messages:
                event = await self._decoded(msg)
                if event is None:
                    continue
                try:
                    yield event
                except GeneratorExit:
                    await msg.nak()  # the caller left before handling it: send it again
                    raise
                await msg.ack()

    async def _decoded(self, msg: Msg) -> Event[Payload] | None:
        headers = msg.headers or {}
        problem = _provenance_problem(self._event, headers)
        if problem is None:
            try:
                return Event(self._event.payload.model_validate_json(msg.data), headers, msg)
            except ValidationError as invalid:
                problem = f"payload does not match the contract: {invalid.error_count()} errors"
        log.warning("%s on %s: %s; terminated", self._event.name, msg.subject, problem)
        await msg.term()
        return None


def _provenance_problem(event: EventType[Any], headers: Mapping[str, str]) -> str | None:
    source = headers.get("ce-source")
    if source != event.source:
        return f"ce-source {source!r} is not the channel's owner {event.source!r}"
    if headers.get("ce-type") not in (None, event.event_type):
        return f"ce-type {headers.get('ce-type')!r} is not {event.event_type!r}"
    if not headers.get("ce-id"):
        return "no ce-id"
    return None


class EventSubscriber:
    """A NATS connection that reads typed events. Give the servers and the credentials NATS
    issued you: a `.creds` file (`credentials`), an nkey seed file (`nkey_seed`), or any
    other option of `nats.connect` in `options` (user and password, TLS, ...)."""

    def __init__(
        self,
        servers: str | Sequence[str],
        *,
        credentials: str | Path | None = None,
        nkey_seed: str | Path | None = None,
        name: str = "acme-sdk",
        **options: Any,
    ) -> None:
        self._servers = [servers] if isinstance(servers, str) else list(servers)
        self._options: dict[str, Any] = {"name": name, **options}
        if credentials is not None:
            self._options["user_credentials"] = str(credentials)
        if nkey_seed is not None:
            self._options["nkeys_seed"] = str(nkey_seed)
        self._nc: NatsClient | None = None

    async def connect(self) -> None:
        if self._nc is None:
            self._nc = await nats.connect(servers=self._servers, **self._options)

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.drain()
            self._nc = None

    async def __aenter__(self) -> "EventSubscriber":
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def subscribe(
        self,
        event: EventType[Payload],
        *,
        durable: str,
        start: Literal["new", "all"] = "new",
        batch: int = 64,
        **parameters: str,
    ) -> Subscription[Payload]:
        """The events of type `event` through the durable consumer `durable` (created on first
        use: `start` says whether it begins with new events or everything the stream keeps).
        Keyword `parameters` narrow a parameterized channel, e.g. `customerId="alice"`."""
        if self._nc is None:
            raise RuntimeError("connect the subscriber first (or use `async with`)")
        if not durable or not _TOKEN.fullmatch(durable):
            raise ValueError("durable must be a non-empty name without '.', '*' or '>'")
        subject = event.subject(parameters)
        return Subscription(self._nc, event, durable, subject, start, batch)
