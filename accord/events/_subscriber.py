"""Receive operations: a durable pull consumer feeding a typed handler.

Up to `fetchBatch` handlers run at once. Each message is settled exactly one way:

- handler returns: ACK;
- handler raises: NAK with the contract's backoff delay for that delivery (an explicit
  NAK redelivers at once otherwise), or, on the last allowed delivery, a dead-letter
  record and TERM;
- handler raises what no retry can change (`Unprocessable`, a malformed key, a value a
  model or the contract refuses: `PERMANENT`): a dead-letter record and TERM at once;
- payload undecodable or invalid against the schema: a dead-letter record and TERM;
- provenance: an event whose `ce-source` is not the channel's owner (the `sender` the
  generated router names, from the one document that sends on the channel), or whose
  payload names another subject parameter than its subject (a `deviceId` not the
  device's own): a dead-letter record with the reason and TERM, never the handler;
- stop timed out while the handler ran: NAK, so that another instance gets it now.

The consumer never stops on a bad message or a failing handler (asyncapi-python ends
its consumer loop on the first one).
"""

import abc
import asyncio
import collections
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.client import JetStreamContext
from nats.js.errors import InvalidKeyError

from accord.events._application import EventApplication, HandledOperation
from accord.events._channels import values_in
from accord.events._cloudevents import EventContext, reset_current_event, set_current_event
from accord.events._codec import P, PayloadCodec
from accord.events._contract import ConsumerSpec, OperationSpec, payload_property
from accord.events._deadletter import dead_letter_headers
from accord.events._errors import ContractViolation, RetryLater, Unprocessable
from accord.logs import FailureLog

_log = logging.getLogger("accord.events")
_failures = FailureLog(_log)

# Handler errors no retry can change: the event is dead-lettered at once, like Unprocessable.
# (A ContractViolation or a pydantic ValidationError is a ValueError too.)
PERMANENT: tuple[type[Exception], ...] = (ValueError, InvalidKeyError, DecodeError)

Handler = Callable[[P, EventContext], Awaitable[None]]

_RETRY_AFTER_ERROR = 0.5
# The loop may run a timer a little before its time; a beat that early is still on time.
_EARLY = 0.005


class _Receiving(HandledOperation[Handler[P]], abc.ABC):
    """A receive operation bound to an application: its payload's codec, the sender its
    events must name, and (once registered) its handler."""

    def __init__(
        self,
        app: EventApplication,
        operation: str,
        payload: type[P],
        *,
        sender: str | None = None,
    ) -> None:
        self.operation = app.contract.operation(operation)
        # The `ce-source` the channel's owner publishes with; `{parameter}` stands for the
        # subject's own value (a device's events name that device). None: not checked.
        self.sender = sender
        self._app = app
        self._codec = PayloadCodec(payload, self.operation.message)
        self._handler: Handler[P] | None = None
        # Only listed here: the application starts its endpoints when it starts.
        app.register(self)

    @abc.abstractmethod
    async def start(self) -> None:
        """Begin receiving (the application's start)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop receiving; events being handled are finished or left to redelivery."""


class Subscriber(_Receiving[P]):
    """`@app.consumer.receive_x` registers the handler of one receive operation.

    Handlers run on a fixed pool of `fetchBatch` worker tasks, rather than on a task
    created per message: creating, scheduling and reaping a task cost about a third of
    what the runtime spent on each message. Idle workers are woken one at a time: a worker
    that takes a message wakes the next one before running its handler, so handlers that
    wait on I/O still run `fetchBatch` at once, while handlers that never wait are run in
    turn by the first worker, without waking the others for nothing (an asyncio.Queue
    wakes one waiting worker per message put). A handler that leaves a context variable
    set ends its worker, which a fresh one replaces, so that no message runs in a context
    that an earlier handler changed.
    """

    def __init__(
        self,
        app: EventApplication,
        operation: str,
        payload: type[P],
        *,
        sender: str | None = None,
    ) -> None:
        consumer = app.contract.operation(operation).consumer
        if consumer is None:
            raise ValueError(
                f"receive operation {operation!r} declares no durable consumer "
                "(bindings.nats.x-jetstream.durable)"
            )
        super().__init__(app, operation, payload, sender=sender)
        self.consumer: ConsumerSpec = consumer
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._fetching: asyncio.Task[None] | None = None
        # Fetched messages not yet taken by a worker, and the workers waiting for one.
        self._pending: collections.deque[Msg] = collections.deque()
        self._idle: collections.deque[asyncio.Future[None]] = collections.deque()
        self._waking = 0  # idle workers woken that have not run yet
        self._closing = False  # workers leave once nothing is pending
        self._workers: set[asyncio.Task[None]] = set()
        self._busy = 0  # workers running a message
        self._context = contextvars.Context()
        self._room = asyncio.Event()
        self._heartbeats = _Heartbeats(self.consumer.heartbeat_every)
        self._stopping = False
        self._fetch_failing = False

    async def start(self) -> None:
        self._stopping = False
        self._subscription = await self._app.wire.pull(self.consumer)
        self._pending.clear()
        self._idle.clear()
        self._waking = 0
        self._closing = False
        self._busy = 0
        self._context = _fresh_context()
        for _ in range(self.consumer.fetch_batch):
            self._add_worker()
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

    def _add_worker(self) -> None:
        # Each worker runs in a copy of the context `start` ran in, without any event
        # being handled: a replacement does not inherit what its predecessor's handlers set.
        worker = asyncio.create_task(
            self._work(), name=f"{self.consumer.durable}-worker", context=self._context.copy()
        )
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _finish_in_flight(self) -> None:
        """Let the workers run what they hold and what is pending, for at most
        stop_timeout; then cancel them, which NAKs the messages of the handlers still
        running, and NAK the messages no worker took."""
        self._closing = True
        while self._idle:  # idle workers wake, find nothing pending, and leave
            self._idle.popleft().set_result(None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._app.settings.stop_timeout
        # A worker may hand over to a fresh one meanwhile: wait for whoever is left.
        while self._workers and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._workers), timeout=remaining)
        late = set(self._workers)
        for worker in late:
            worker.cancel()  # the handler's message is NAKed on cancellation
        await asyncio.gather(*late, return_exceptions=True)
        while self._pending:
            await _settle(self._pending.popleft().nak())

    async def _fetch_forever(self) -> None:
        batch = self.consumer.fetch_batch
        pending = self._pending
        while not self._stopping:
            room = batch - self._busy - len(pending)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            messages = await self._fetch(room)
            if self._stopping:
                for msg in messages:
                    await _settle(msg.nak())
                return
            pending.extend(messages)
            self._wake_one()

    def _wake_one(self) -> None:
        """Wake an idle worker if messages are pending and none is waking already."""
        if self._pending and not self._waking and self._idle:
            self._waking += 1
            self._idle.popleft().set_result(None)

    async def _fetch(self, count: int) -> list[Msg]:
        assert self._subscription is not None
        try:
            fetched = await self._subscription.fetch(count, timeout=self._fetch_wait)
        except TimeoutError:
            return []  # nothing to do, or the server is away: the connection reconnects
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a pull must never end the consumer
            # One line when pulls start failing (NATS away), one when they work again: not
            # a line per pull meanwhile.
            if not self._fetch_failing:
                _log.warning("%s: fetch failed, retrying: %r", self.consumer.durable, error)
                self._fetch_failing = True
            await asyncio.sleep(_RETRY_AFTER_ERROR)
            return []
        if self._fetch_failing:
            _log.info("%s: fetching again", self.consumer.durable)
            self._fetch_failing = False
        return fetched

    async def _work(self) -> None:
        """One worker: a message at a time, until the subscriber closes."""
        baseline = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        pending, idle, room, deliver = self._pending, self._idle, self._room, self._deliver
        while True:
            if not pending:
                if self._closing:
                    return
                wake: asyncio.Future[None] = loop.create_future()
                idle.append(wake)
                try:
                    await wake
                except asyncio.CancelledError:
                    with contextlib.suppress(ValueError):
                        idle.remove(wake)
                    raise
                if not self._closing:
                    self._waking -= 1
                continue
            msg = pending.popleft()
            self._busy += 1
            self._wake_one()  # more pending: the next worker takes it if this one waits
            try:
                await deliver(msg)
            except Exception:
                _log.exception("%s: settling a message failed", self.consumer.durable)
            finally:
                self._busy -= 1
                room.set()
            if contextvars.copy_context() != baseline:
                # The handler left a context variable set: a fresh worker takes over.
                self._add_worker()
                return

    async def _deliver(self, msg: Msg) -> None:
        assert self._handler is not None
        context = EventContext.of_delivery(msg.subject, msg.headers, msg.reply)
        try:
            payload = self._codec.decode(msg.data)
        except ContractViolation as error:
            await self._give_up(msg, f"invalid: {error}")
            return
        if self.sender is not None or self.operation.parameters:
            forged = _provenance(self.operation, self.sender, msg.subject, context.source, payload)
            if forged:
                await self._give_up(msg, f"provenance: {forged}")
                return
        self._heartbeats.add(msg)
        token = set_current_event(context)  # published events carry its traceparent on
        try:
            await self._handler(payload, context)
        except asyncio.CancelledError:
            await _settle(msg.nak())
            raise
        except Unprocessable as error:
            await self._give_up(msg, f"unprocessable: {error}")
        except PERMANENT as error:
            # No retry can change it (a malformed key, a value a model refuses): at once.
            _failures.failed(
                error, "%s: event %s cannot be handled", self.consumer.durable, context.id
            )
            await self._give_up(msg, f"unprocessable: {type(error).__name__}: {error}"[:1000])
        except RetryLater as later:
            await self._later(msg, context, later)
        except Exception as error:
            await self._failed(msg, context, error)
        else:
            await msg.ack()
        finally:
            reset_current_event(token)
            self._heartbeats.discard(msg)

    async def _failed(self, msg: Msg, context: EventContext, error: Exception) -> None:
        count = context.delivery_count
        if count >= self.consumer.max_deliver:
            reason = f"deliveries exhausted ({count} of {self.consumer.max_deliver}): {error!r}"
            await self._give_up(msg, reason)
            return
        delay = self.consumer.retry_delay(count)
        # The traceback once per distinct failure; a line per retry after that.
        _failures.failed(
            error,
            "%s: handler failed on event %s (delivery %d), retrying in %.3gs",
            self.consumer.durable,
            context.id,
            count,
            delay,
        )
        await msg.nak(delay=delay or None)

    async def _later(self, msg: Msg, context: EventContext, later: RetryLater) -> None:
        if context.delivery_count >= self.consumer.max_deliver:
            reason = f"still waiting on its last delivery ({context.delivery_count}): {later}"
            await self._give_up(msg, reason)
            return
        _log.debug(
            "%s: event %s again in %.3gs: %s", self.consumer.durable, context.id, later.delay, later
        )
        await msg.nak(delay=max(later.delay, 0.001))

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


def _provenance(
    operation: OperationSpec, sender: str | None, subject: str, source: str, payload: object
) -> str | None:
    """Why the event cannot be from the channel's owner, or None when it can."""
    values = values_in(operation.address, subject) if operation.parameters else {}
    if values is None:
        return f"subject {subject!r} is not one of {operation.address!r}"
    for name, field in operation.parameters:
        if field is not None and payload_property(payload, field) != values[name]:
            return f"the payload's {field!r} is not the subject's {name} {values[name]!r}"
    if sender is None:
        return None
    expected = sender.format_map(values) if values else sender
    if source != expected:
        return f"ce-source {source!r} is not the channel's owner {expected!r}"
    return None


def _fresh_context() -> contextvars.Context:
    """A copy of the current context with no event being handled in it."""
    context = contextvars.copy_context()
    context.run(set_current_event, None)
    return context


async def _settle(action: Awaitable[None]) -> None:
    """An ack-type publish that may fail while disconnected; JetStream redelivers then."""
    try:
        await action
    except Exception as error:
        _log.debug("could not settle a message: %r", error)


class CoreSubscriber(_Receiving[P]):
    """`@app.consumer.receive_x` for a receive operation without a durable consumer: a core
    NATS subscription (at most once, nothing stored, nothing acknowledged), on the subject
    the application's bound parameters give (a device's own), else on every subject of the
    channel. Events that are invalid or not from the channel's owner are logged and dropped:
    without a stream there is no dead-letter record to keep."""

    _subscription: Subscription | None = None

    @property
    def subject(self) -> str:
        bound = self._app.settings.parameters
        if self.operation.parameters and all(n in bound for n, _ in self.operation.parameters):
            return self.operation.subject(bound)
        return self.operation.pattern

    async def start(self) -> None:
        self._subscription = await self._app.wire.nc.subscribe(
            self.subject, queue=self.operation.queue or "", cb=self._deliver
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def _deliver(self, msg: Msg) -> None:
        assert self._handler is not None
        context = EventContext.of(msg.subject, msg.headers)
        try:
            payload = self._codec.decode(msg.data)
        except ContractViolation as error:
            _log.error(
                "%s: dropped an invalid event on %s: %s", self.operation.key, msg.subject, error
            )
            return
        forged = _provenance(self.operation, self.sender, msg.subject, context.source, payload)
        if forged:
            _log.error("%s: dropped an event on %s: %s", self.operation.key, msg.subject, forged)
            return
        token = set_current_event(context)
        try:
            await self._handler(payload, context)
        except Exception:
            _log.exception("%s: handler failed on event %s", self.operation.key, context.id)
        finally:
            reset_current_event(token)
