"""Send operations: typed payload in, CloudEvent on JetStream out, PubAck awaited."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Generic

from accord.events._application import EventApplication, Sending
from accord.events._cloudevents import (
    CONTENT_TYPE,
    ID,
    SOURCE,
    SPECVERSION,
    TIME,
    TRACEPARENT,
    TYPE,
    current_event,
    new_event_id,
    now_rfc3339,
    rfc3339,
)
from accord.events._codec import P, PayloadCodec
from accord.events._errors import ContractViolation
from accord.events._wire import Published


class Publisher(Sending, Generic[P]):
    """`await app.producer.send_x(payload, event_id=...)` publishes one event;
    `await app.producer.send_x.many(payloads, event_ids=...)` publishes several, pipelined."""

    def __init__(self, app: EventApplication, operation: str, payload: type[P]) -> None:
        self.operation = app.contract.operation(operation)
        self._app = app
        self._codec = PayloadCodec(payload, self.operation.message)
        message = self.operation.message
        # What is the same on every event, built once.
        self._static: dict[str, str] = {
            SOURCE: app.settings.source,
            TYPE: message.event_type,
            SPECVERSION: "1.0",
            CONTENT_TYPE: message.content_type,
        }
        # The headers are ours: what the contract constrains in them (type, source, spec
        # version, content type) is the same on every publish, so it is checked once here;
        # a traceparent, which comes from outside, is checked on each publish that has one.
        self._codec.check_headers(self._headers("sample", None, None))
        app.register(self)

    async def __call__(
        self,
        payload: P,
        /,
        *,
        event_id: str | None = None,
        time: datetime | None = None,
        traceparent: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> Published:
        """Validate `payload` against the contract and publish it.

        `event_id` is the idempotency key (`ce-id`, `Nats-Msg-Id`): publishing the same id
        again within the stream's duplicate window stores nothing new. On a channel with
        parameters (`...inapp.{customerId}`) the subject takes each value from
        `parameters`, else from the payload property the parameter's `location` names.
        Raises ContractViolation, NoStreamError or PublishTimeout.
        """
        operation = self.operation
        subject = None
        if operation.parameters:
            bound = self._app.settings.parameters
            subject = operation.subject({**bound, **(parameters or {})}, payload)
        body = self._codec.encode(payload)
        headers = self._headers(event_id, time, traceparent)
        if TRACEPARENT in headers:
            self._codec.check_headers(headers)
        if extra_headers:
            headers = {**extra_headers, **headers}
        settings = self._app.settings
        return await self._app.wire.publish(
            subject or operation.address,
            body,
            headers,
            settings.publish_timeout,
            settings.publish_attempts,
        )

    async def many(
        self,
        payloads: Iterable[P],
        /,
        *,
        event_ids: Sequence[str | None] | None = None,
        time: datetime | None = None,
        traceparent: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[Published]:
        """Validate every payload, then publish them all without waiting for each PubAck
        in turn (nats-py `publish_async`), and return once every one is acknowledged: one
        `Published` per payload, in order.

        All or nothing on validation: if one payload breaks the contract, ContractViolation
        names it and nothing is sent. `event_ids[i]` is the id of `payloads[i]` (`ce-id`
        and `Nats-Msg-Id`; a missing one becomes a fresh UUID). `ce-time` is the time of
        the call unless `time` is given. Unacknowledged events are published again with
        their ids (`publish_attempts` tries in all, each waiting `publish_timeout` after
        the last send), so a retried call stores nothing twice. Raises NoStreamError
        (nothing stored), or PublishFailed naming the event ids that were not acknowledged
        and carrying the `Published` of those that were.
        """
        payloads = list(payloads)
        if self.operation.parameters:
            raise ValueError(
                f"{self.operation.key}: a channel with parameters has a subject per event; "
                "publish its events one at a time"
            )
        if event_ids is not None and len(event_ids) != len(payloads):
            raise ValueError(f"{len(payloads)} payloads but {len(event_ids)} event ids")
        base = dict(extra_headers) if extra_headers else {}
        base.update(self._static)
        base[TIME] = rfc3339(time) if time else now_rfc3339()
        traceparent = traceparent or _carried_traceparent()
        if traceparent:
            base[TRACEPARENT] = traceparent
            self._codec.check_headers({**base, ID: "sample"})
        encode = self._codec.encode
        bodies: list[bytes] = []
        for index, payload in enumerate(payloads):
            try:
                bodies.append(encode(payload))
            except ContractViolation as error:
                raise ContractViolation(f"payloads[{index}]: {error}") from None
        ids = [
            event_id or new_event_id()
            for event_id in (event_ids if event_ids is not None else [None] * len(bodies))
        ]
        settings = self._app.settings
        return await self._app.wire.publish_many(
            self.operation.address,
            base,
            bodies,
            ids,
            settings.publish_timeout,
            settings.publish_attempts,
        )

    def _headers(
        self, event_id: str | None, time: datetime | None, traceparent: str | None
    ) -> dict[str, str]:
        headers = {
            ID: event_id or new_event_id(),
            **self._static,
            TIME: rfc3339(time) if time else now_rfc3339(),
        }
        traceparent = traceparent or _carried_traceparent()
        if traceparent:
            headers[TRACEPARENT] = traceparent
        return headers


def _carried_traceparent() -> str | None:
    """The traceparent of the event being handled, if any: its trace carries on."""
    current = current_event()
    return current.traceparent if current else None
