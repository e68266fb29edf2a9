"""Receive operations: a durable pull consumer feeding a typed handler.

Up to `fetchBatch` handlers run at once. Each message is settled exactly one way:

- handler returns: ACK;
- handler raises: NAK with the contract's backoff delay for that delivery (an explicit
  NAK redelivers at once otherwise), or, on the last allowed delivery, a dead-letter
  record and TERM;
- payload undecodable or invalid against the schema: a dead-letter record and TERM;
- stop timed out while the handler ran: NAK, so that another instance gets it now.

The consumer never stops on a bad message or a failing handler (asyncapi-python ends
its consumer loop on the first one).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic

from nats.aio.msg import Msg
from nats.js.client import JetStreamContext

from accord.events._application import EventApplication
from accord.events._cloudevents import EventContext, set_current_event
from accord.events._codec import P, PayloadCodec
from accord.events._contract import ConsumerSpec
from accord.events._deadletter import dead_letter_headers
from accord.events._errors import ContractViolation

_log = logging.getLogger("accord.events")

Handler = Callable[[P, EventContext], Awaitable[None]]

_RETRY_AFTER_ERROR = 0.5
# The loop may run a timer a little before its time; a beat that early is still on time.
_EARLY = 0.005


class Subscriber(Generic[P]):
    """`@app.consumer.receive_x` registers the handler of one receive operation."""

    def __init__(self, app: EventApplication, operation: str, payload: type[P]) -> None:
        self.operation = app.contract.operation(operation)
        if self.operation.consumer is None:
            raise ValueError(
                f"receive operation {operation!r} declares no durable consumer "
                "(bindings.nats.x-jetstream.durable)"
            )
        self.consumer: ConsumerSpec = self.operation.consumer
        self._app = app
        self._codec = PayloadCodec(payload, self.operation.message)
        self._handler: Handler[P] | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._fetching: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._heartbeats = _Heartbeats(self.consumer.heartbeat_every)
        self._stopping = False
        app.register(self)

    def __call__(self, handler: Handler[P]) -> Handler[P]:
        if self._handler is not None:
            raise RuntimeError(f"{self.operation.key} already has a handler")
        self._handler = handler
        return handler

    @property
    def ready(self) -> bool:
        return self._handler is not None

    async def start(self) -> None:
        self._stopping = False
        self._subscription = await self._app.wire.pull(self.consumer)
        self._fetching = asyncio.create_task(self._fetch_forever(), name=self.consumer.durable)

    async def stop(self) -> None:
        self._stopping = True
        self._room.set()
        if self._fetching is not None:
            # Let the pull in progress end by itself (at most fetch_timeout): a pull cut
            # short leaves a request on the server that would strand its messages.
            done, _ = await asyncio.wait({self._fetching}, timeout=self._fetch_wait + 1.0)
            if not done:
                self._fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetching
            self._fetching = None
        await self._finish_in_flight()
        self._heartbeats.close()
        with contextlib.suppress(Exception):
            await self._app.wire.nc.flush()  # the last acks leave before we say "stopped"
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    @property
    def _fetch_wait(self) -> float:
        return self._app.settings.fetch_timeout

    async def _finish_in_flight(self) -> None:
        if not self._in_flight:
            return
        _, late = await asyncio.wait(self._in_flight, timeout=self._app.settings.stop_timeout)
        for task in late:
            task.cancel()  # the handler's message is NAKed on cancellation
        await asyncio.gather(*late, return_exceptions=True)

    async def _fetch_forever(self) -> None:
        batch = self.consumer.fetch_batch
        while not self._stopping:
            room = batch - len(self._in_flight)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            messages = await self._fetch(room)
            for msg in messages:
                if self._stopping:
                    await _settle(msg.nak())
                    continue
                task = asyncio.create_task(self._deliver(msg))
                self._in_flight.add(task)
                task.add_done_callback(self._done)

    async def _fetch(self, count: int) -> list[Msg]:
        assert self._subscription is not None
        try:
            return await self._subscription.fetch(count, timeout=self._fetch_wait)
        except TimeoutError:
            return []  # nothing to do, or the server is away: the connection reconnects
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a pull must never end the consumer
            _log.warning("%s: fetch failed: %r", self.consumer.durable, error)
            await asyncio.sleep(_RETRY_AFTER_ERROR)
            return []

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._room.set()
        if not task.cancelled() and task.exception() is not None:
            _log.error(
                "%s: settling a message failed", self.consumer.durable, exc_info=task.exception()
            )

    async def _deliver(self, msg: Msg) -> None:
        assert self._handler is not None
        meta = msg.metadata
        context = EventContext.of(
            msg.subject, msg.headers, meta.num_delivered, meta.sequence.stream
        )
        try:
            payload = self._codec.decode(msg.data)
        except ContractViolation as error:
            await self._give_up(msg, f"invalid: {error}")
            return
        self._heartbeats.add(msg)
        try:
            set_current_event(context)  # this task's own context: traceparent carries on
            await self._handler(payload, context)
        except asyncio.CancelledError:
            await _settle(msg.nak())
            raise
        except Exception as error:
            await self._failed(msg, context, error)
        else:
            await msg.ack()
        finally:
            self._heartbeats.discard(msg)

    async def _failed(self, msg: Msg, context: EventContext, error: Exception) -> None:
        count = context.delivery_count
        if count >= self.consumer.max_deliver:
            reason = f"deliveries exhausted ({count} of {self.consumer.max_deliver}): {error!r}"
            await self._give_up(msg, reason)
            return
        delay = self.consumer.retry_delay(count)
        _log.warning(
            "%s: handler failed on event %s (delivery %d), retrying in %.3gs: %r",
            self.consumer.durable,
            context.id,
            count,
            delay,
            error,
        )
        await msg.nak(delay=delay or None)

    async def _give_up(self, msg: Msg, reason: str) -> None:
        """Dead-letter, then TERM. If the record cannot be stored, NAK instead: the message
        is kept rather than lost, and tried again after the longest backoff."""
        subject = self.consumer.dead_letter
        _log.error("%s: giving up on %s: %s", self.consumer.durable, msg.subject, reason)
        if subject is not None:
            headers = dead_letter_headers(msg, self.consumer.durable, reason)
            settings = self._app.settings
            try:
                await self._app.wire.publish(
                    subject, msg.data, headers, settings.publish_timeout, settings.publish_attempts
                )
            except Exception as error:
                _log.error("%s: dead-letter publish failed: %r", self.consumer.durable, error)
                await msg.nak(delay=max(self.consumer.backoff, default=self.consumer.ack_wait))
                return
        await msg.term()


class _Heartbeats:
    """Tells JetStream that long handlers still work on their messages, so ackWait never
    expires: each running message gets `in_progress` every `every` seconds from the start
    of its handler. One timer per consumer, set for the earliest beat due, rather than one
    per message: most handlers end before their first beat, and arming and cancelling a
    timer per message was a fifth of what the runtime spent on each consumed message."""

    def __init__(self, every: float) -> None:
        self._every = every
        self._due: dict[int, tuple[Msg, float]] = {}  # by id(msg): Msg is not hashable
        self._timer: asyncio.TimerHandle | None = None
        self._beats: set[asyncio.Task[None]] = set()

    def add(self, msg: Msg) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + self._every
        self._due[id(msg)] = (msg, due)
        if self._timer is None:
            self._timer = loop.call_at(due, self._beat)

    def discard(self, msg: Msg) -> None:
        self._due.pop(id(msg), None)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for key, (msg, due) in list(self._due.items()):
            if due <= now + _EARLY:
                task = loop.create_task(_settle(msg.in_progress()))
                self._beats.add(task)  # keep a reference until it is sent
                task.add_done_callback(self._beats.discard)
                self._due[key] = (msg, now + self._every)
        # The earliest beat still due, or none while no handler runs (`add` re-arms).
        nearest = min((due for _, due in self._due.values()), default=None)
        self._timer = None if nearest is None else loop.call_at(nearest, self._beat)


async def _settle(action: Awaitable[None]) -> None:
    """An ack-type publish that may fail while disconnected; JetStream redelivers then."""
    try:
        await action
    except Exception as error:
        _log.debug("could not settle a message: %r", error)
