"""A readable timeline of a journey: every platform event that concerns it, as it happens.

Any NATS client can read our events: this one subscribes to `acme.>` on core NATS (it sees
each event as it is published, without a consumer of its own) and keeps the events whose
payload names one of the journey's ids.
"""

import json
import time
from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

_ID_FIELDS = ("orderId", "transferId", "customerId", "routeId", "deviceId")
_SHOWN_FIELDS = (
    "status",
    "previousStatus",
    "reason",
    "carrier",
    "eta",
    "rule",
    "title",
    "errorCode",
    "occurrences",
    "assignee",
    "seats",
    "revision",
    "setpointCelsius",
    "localTime",
    "mode",
    "kind",
    "sku",
    "query",
)


@dataclass
class Timeline:
    title: str
    started: float = field(default_factory=time.monotonic)
    ids: set[str] = field(default_factory=set)
    # A publish repeated to be safe (same ce-id) is stored once; show it once too.
    _seen: set[str] = field(default_factory=set)
    _subscription: Subscription | None = None

    def follow(self, *ids: str) -> None:
        """Show events that name any of these ids from now on."""
        self.ids.update(ids)

    def note(self, service: str, what: str) -> None:
        """A line for something the journey did itself (a call through the gateway)."""
        self._print(service, what)

    async def start(self, nc: NatsClient) -> None:
        print(f"\n== {self.title}", flush=True)
        self._subscription = await nc.subscribe("acme.>", cb=self._on_event)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()

    async def _on_event(self, msg: Msg) -> None:
        try:
            payload = json.loads(msg.data)
        except ValueError:
            return
        if not isinstance(payload, dict) or not self._concerns(payload):
            return
        headers = msg.headers or {}
        event_id = headers.get("ce-id", "")
        if event_id and event_id in self._seen:
            return
        self._seen.add(event_id)
        source = headers.get("ce-source", "?").rsplit("/", 1)[-1]
        shown = ", ".join(f"{k}={payload[k]}" for k in _SHOWN_FIELDS if k in payload)
        self._print(source, f"{msg.subject}  {shown}".rstrip())

    def _concerns(self, payload: dict[str, object]) -> bool:
        return any(payload.get(name) in self.ids for name in _ID_FIELDS)

    def _print(self, service: str, what: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"  {elapsed:7.3f}s  {service:<13} {what}", flush=True)
