"""Send operations: typed payload in, CloudEvent on JetStream out, PubAck awaited."""

from collections.abc import Mapping
from datetime import datetime
from typing import Generic

from accord.events._application import EventApplication
from accord.events._cloudevents import TRACEPARENT, event_headers
from accord.events._codec import P, PayloadCodec
from accord.events._wire import Published


class Publisher(Generic[P]):
    """`await app.producer.send_x(payload, event_id=...)` publishes one event."""

    def __init__(self, app: EventApplication, operation: str, payload: type[P]) -> None:
        self.operation = app.contract.operation(operation)
        self._app = app
        self._codec = PayloadCodec(payload, self.operation.message)
        # The headers are ours: what the contract constrains in them (type, source, spec
        # version, content type) is the same on every publish, so it is checked once here;
        # a traceparent, which comes from outside, is checked on each publish that has one.
        self._codec.check_headers(self._headers(event_id="sample", time=None, traceparent=None))
        app.register(self)

    @property
    def ready(self) -> bool:
        return True

    async def start(self) -> None:
        """Nothing to prepare: a publish needs only the connection."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def __call__(
        self,
        payload: P,
        /,
        *,
        event_id: str | None = None,
        time: datetime | None = None,
        traceparent: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Published:
        """Validate `payload` against the contract and publish it.

        `event_id` is the idempotency key (`ce-id`, `Nats-Msg-Id`): publishing the same id
        again within the stream's duplicate window stores nothing new. Raises
        ContractViolation, NoStreamError or PublishTimeout.
        """
        body = self._codec.encode(payload)
        headers = self._headers(event_id, time, traceparent)
        if TRACEPARENT in headers:
            self._codec.check_headers(headers)
        if extra_headers:
            headers = {**extra_headers, **headers}
        settings = self._app.settings
        return await self._app.wire.publish(
            self.operation.address,
            body,
            headers,
            settings.publish_timeout,
            settings.publish_attempts,
        )

    def _headers(
        self, event_id: str | None, time: datetime | None, traceparent: str | None
    ) -> dict[str, str]:
        message = self.operation.message
        return event_headers(
            event_type=message.event_type,
            source=self._app.settings.source,
            content_type=message.content_type,
            event_id=event_id,
            time=time,
            traceparent=traceparent,
        )
