"""Reply operations over core NATS request/reply, never through a stream.

JetStream does not keep a message's reply subject, and a request to a subject a stream
captures is answered by the stream's PubAck: requests stay on core NATS. The reply goes
to the requester's own inbox (NATS's reply subject); the request's `ce-id` comes back
in the reply's `accord-correlation-id` header. A failing handler answers with an empty
body and an `accord-error` header, which the client raises as RemoteHandlerError.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import BaseModel

from accord.events._application import EventApplication, HandledOperation, Sending
from accord.events._cloudevents import EventContext, event_headers, set_current_event
from accord.events._codec import P, PayloadCodec
from accord.events._contract import MessageSpec
from accord.events._errors import RemoteHandlerError

_log = logging.getLogger("accord.events")

R = TypeVar("R", bound=BaseModel)
ERROR = "accord-error"
CORRELATION_ID = "accord-correlation-id"

RequestHandler = Callable[[P, EventContext], Awaitable[R]]


class _RequestOperation(Generic[P, R]):
    """A request operation of the contract bound to an application, with the codecs of its
    request and its reply: what its client and its server both hold."""

    def __init__(
        self, app: EventApplication, operation: str, request: type[P], reply: type[R]
    ) -> None:
        self.operation = app.contract.operation(operation)
        if self.operation.reply is None:
            raise ValueError(f"operation {operation!r} has no reply")
        self._app = app
        self._request = PayloadCodec(request, self.operation.message)
        self._reply_spec: MessageSpec = self.operation.reply
        self._reply = PayloadCodec(reply, self._reply_spec)


class RpcClient(Sending, _RequestOperation[P, R]):
    """`reply = await app.producer.ask_x(request, timeout=2.0)`; replies come to the
    connection's own inbox."""

    def __init__(
        self, app: EventApplication, operation: str, request: type[P], reply: type[R]
    ) -> None:
        super().__init__(app, operation, request, reply)
        app.register(self)

    async def __call__(
        self, request: P, /, *, timeout: float | None = None, event_id: str | None = None
    ) -> R:
        """Send `request` and return the typed reply. Raises NoResponderError at once when
        nobody serves the subject, RequestTimeout after `timeout` (default: the
        application's request_timeout), RemoteHandlerError when the handler failed."""
        message = self.operation.message
        headers = event_headers(
            event_type=message.event_type,
            source=self._app.settings.source,
            content_type=message.content_type,
            event_id=event_id,
        )
        wait = self._app.settings.request_timeout if timeout is None else timeout
        answer = await self._app.wire.request(
            self.operation.address, self._request.encode(request), headers, wait
        )
        if answer.headers and ERROR in answer.headers:
            raise RemoteHandlerError(f"{self.operation.address}: {answer.headers[ERROR]}")
        return self._reply.decode(answer.data)


class RpcServer(HandledOperation[RequestHandler[P, R]], _RequestOperation[P, R]):
    """`@app.consumer.serve_x` registers the handler that answers one request operation."""

    def __init__(
        self, app: EventApplication, operation: str, request: type[P], reply: type[R]
    ) -> None:
        super().__init__(app, operation, request, reply)
        self._handler: RequestHandler[P, R] | None = None
        self._subscription: Subscription | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        app.register(self)

    async def start(self) -> None:
        # Instances of one service share the work through a queue group.
        queue = self.operation.queue or self.operation.key
        self._subscription = await self._app.wire.nc.subscribe(
            self.operation.address, queue=queue, cb=self._on_request
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            # Drain: requests already delivered to us are still answered.
            with contextlib.suppress(Exception):
                await self._subscription.drain()
            self._subscription = None
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=self._app.settings.stop_timeout)

    async def _on_request(self, msg: Msg) -> None:
        # nats-py runs one callback at a time per subscription: answer in a task.
        task = asyncio.create_task(self._answer(msg))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _answer(self, msg: Msg) -> None:
        assert self._handler is not None
        context = EventContext.of(msg.subject, msg.headers)
        headers = event_headers(
            event_type=self._reply_spec.event_type,
            source=self._app.settings.source,
            content_type=self._reply_spec.content_type,
        )
        headers[CORRELATION_ID] = context.id
        try:
            request = self._request.decode(msg.data)
            set_current_event(context)
            body = self._reply.encode(await self._handler(request, context))
        except Exception as error:
            _log.warning("%s: request failed: %r", self.operation.key, error)
            headers[ERROR] = " ".join(f"{type(error).__name__}: {error}".split())[:2000]
            body = b""
        if msg.reply and not msg.reply.startswith("$JS."):
            await self._app.wire.nc.publish(msg.reply, body, headers=headers)
