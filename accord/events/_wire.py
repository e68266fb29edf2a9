"""The JetStream wire: acknowledged publishes, durable pull subscriptions, core requests."""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api
from nats.js.client import JetStreamContext

from accord.events._cloudevents import ID, NATS_MSG_ID
from accord.events._contract import ConsumerSpec
from accord.events._errors import (
    EventError,
    NoResponderError,
    NoStreamError,
    PublishTimeout,
    RequestTimeout,
)

_RETRY_PAUSE = 0.25
# JetStream's answer to a publish whose id an earlier try is still storing (a replicated
# stream syncing it to disk): it may yet be stored, so it is tried again with the same id.
_ID_IN_PROCESS = 10158
# Publishes of one JetStream context in flight at once: below nats-py's own limit
# (publish_async_max_pending, 4,000), past which publish_async blocks.
_MAX_IN_FLIGHT = 3_000


@dataclass(frozen=True)
class Published:
    """Where JetStream stored an event; `duplicate` when the id was seen in the window."""

    event_id: str
    stream: str
    sequence: int
    duplicate: bool


def _published(event_id: str, stream: str, sequence: int, duplicate: bool) -> Published:
    """Published(...), without the frozen dataclass's __init__ (a setattr per field): one
    per event of a pipelined publish."""
    published = object.__new__(Published)
    published.__dict__.update(
        event_id=event_id, stream=stream, sequence=sequence, duplicate=duplicate
    )
    return published


class PublishFailed(EventError):
    """Some events of a pipelined publish were not acknowledged: `failed` maps each of
    their ids to why (`PublishTimeout` when JetStream never answered: it may be stored).
    `published` holds the acknowledged ones, in order. Publishing the failed ones again
    with the same ids is safe within the stream's duplicate window."""

    def __init__(
        self, subject: str, failed: dict[str, BaseException], published: list[Published]
    ) -> None:
        shown = ", ".join(f"{event_id} ({error!r})" for event_id, error in list(failed.items())[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        super().__init__(
            f"JetStream did not acknowledge {len(failed)} of "
            f"{len(failed) + len(published)} events on {subject!r}: {shown}{more}; "
            "retry them with the same ids"
        )
        self.subject = subject
        self.failed = failed
        self.published = published


class JetStreamWire:
    """One application's use of a NATS connection. Owns no global state: several
    applications can share a connection, or each have their own."""

    def __init__(self, nc: NatsClient) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()

    async def publish(
        self,
        subject: str,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,
        attempts: int = 1,
    ) -> Published:
        """Publish and wait for the PubAck. The event id doubles as `Nats-Msg-Id`, unless
        the headers already carry one (dead-letter records). A publish that went
        unanswered is retried, with the same id, up to `attempts` times in all: in a
        cluster a stream stalls for seconds while it elects a leader."""
        msg_id = headers.get(NATS_MSG_ID) or headers[ID]
        event_id = headers.get(ID, msg_id)
        headers = {**headers, NATS_MSG_ID: msg_id}
        for attempt in range(1, attempts + 1):
            try:
                ack = await self.js.publish(subject, body, timeout=timeout, headers=headers)
                return Published(event_id, ack.stream, ack.seq, bool(ack.duplicate))
            except nats.js.errors.NoStreamResponseError:
                if not await self._captured(subject):
                    raise NoStreamError(subject) from None
            except nats.errors.TimeoutError:
                pass
            except nats.js.errors.APIError as error:
                if error.err_code != _ID_IN_PROCESS:
                    raise
            if attempt < attempts:
                await asyncio.sleep(_RETRY_PAUSE)
        raise PublishTimeout(
            f"JetStream did not acknowledge event {event_id} on {subject!r} "
            f"({attempts} attempts of {timeout}s); it may be stored: retry with the same id"
        )

    async def publish_many(
        self,
        subject: str,
        headers: Mapping[str, str],
        bodies: Sequence[bytes],
        event_ids: Sequence[str],
        timeout: float,
        attempts: int = 1,
    ) -> list[Published]:
        """Publish every body, with `headers` plus its event id as `ce-id` and
        `Nats-Msg-Id`, without awaiting each PubAck in turn (nats-py `publish_async`);
        then wait for all of them: `timeout` after the last send, for each of `attempts`
        rounds. A round sends again, with the same ids, only the events whose PubAck did
        not come.

        Raises NoStreamError when no stream captures `subject` (nothing was stored), or
        PublishFailed naming every event id that was not acknowledged."""
        results: list[Published | None] = [None] * len(bodies)
        failed: dict[int, BaseException] = {}
        todo: Sequence[int] = range(len(bodies))
        js = self.js
        for attempt in range(1, attempts + 1):
            sent: list[tuple[int, asyncio.Future[api.PubAck]]] = []
            unsent: Sequence[int] = ()
            oldest = 0  # of `sent`, the first whose PubAck may still be pending
            for position, index in enumerate(todo):
                if js.publish_async_pending() >= _MAX_IN_FLIGHT:
                    # nats-py would block in publish_async, without a bound unless given a
                    # wait_stall (which costs a task and a timer on every publish): wait
                    # here for PubAcks, at most `timeout` without any.
                    oldest = await self._room(sent, oldest, timeout)
                    if oldest < 0:
                        unsent = todo[position:]  # the server does not answer
                        break
                # The header dict of each event is built as it is sent, and dropped: kept
                # for all of them, 10,000 dicts would weigh on the garbage collector.
                sending = dict(headers)
                sending[ID] = sending[NATS_MSG_ID] = event_ids[index]
                future = await js.publish_async(subject, bodies[index], headers=sending)
                sent.append((index, future))
            if sent:
                await self._acknowledged(sent, timeout)
            again = list(unsent)
            no_stream = False
            for index, future in sent:
                if not future.done():
                    future.cancel()  # frees its place among nats-py's pending publishes
                    again.append(index)
                    failed[index] = PublishTimeout(f"no PubAck within {timeout}s")
                    continue
                error = future.exception()
                if error is None:
                    ack = future.result()
                    results[index] = _published(
                        event_ids[index], ack.stream, ack.seq, bool(ack.duplicate)
                    )
                    failed.pop(index, None)
                elif isinstance(error, nats.js.errors.NoStreamResponseError):
                    no_stream = True
                    again.append(index)
                    failed[index] = PublishTimeout("no stream answered")
                elif getattr(error, "err_code", None) == _ID_IN_PROCESS:
                    again.append(index)
                    failed[index] = PublishTimeout("still being stored")
                else:
                    failed[index] = error  # an API error: sending it again would not help
            for index in unsent:
                failed[index] = PublishTimeout(f"not sent: {len(sent)} PubAcks pending")
            if no_stream and not await self._captured(subject):
                raise NoStreamError(subject)
            if not again:
                break
            todo = sorted(again)
            if attempt < attempts:
                await asyncio.sleep(_RETRY_PAUSE)
        if failed:
            raise PublishFailed(
                subject,
                {event_ids[i]: error for i, error in sorted(failed.items())},
                [published for published in results if published is not None],
            )
        return results  # type: ignore[return-value]

    @staticmethod
    async def _acknowledged(
        sent: list[tuple[int, "asyncio.Future[api.PubAck]"]], timeout: float
    ) -> None:
        """Wait, at most `timeout`, until every PubAck has come. JetStream answers one
        connection's publishes in order: once the last has come, the others almost always
        have too, so that one is waited for first (asyncio.wait would otherwise add and
        remove a callback on each of thousands of futures)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await asyncio.wait({sent[-1][1]}, timeout=timeout)
        rest = [future for _, future in sent if not future.done()]
        if rest:
            await asyncio.wait(rest, timeout=max(0.0, deadline - loop.time()))

    async def _room(
        self, sent: list[tuple[int, "asyncio.Future[api.PubAck]"]], oldest: int, timeout: float
    ) -> int:
        """Wait until fewer than _MAX_IN_FLIGHT publishes are pending; return the index in
        `sent` of the oldest one still pending, or -1 if none came back within `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.js.publish_async_pending() >= _MAX_IN_FLIGHT:
            while oldest < len(sent) and sent[oldest][1].done():
                oldest += 1
            remaining = deadline - loop.time()
            if remaining <= 0:
                return -1
            if oldest < len(sent):
                await asyncio.wait({sent[oldest][1]}, timeout=remaining)
            else:
                await asyncio.sleep(min(0.01, remaining))  # others' publishes fill it
        return oldest

    async def _captured(self, subject: str) -> bool:
        """Whether a stream captures `subject`; when JetStream cannot say, assume one does
        (the stream may be electing a leader) so that the publish is retried."""
        try:
            await self.js.find_stream_name_by_subject(subject)
        except nats.js.errors.NotFoundError:
            return False
        except Exception:
            return True
        return True

    async def request(
        self, subject: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> Msg:
        """A core NATS request (never through a stream); the reply inbox is NATS's own."""
        try:
            return await self.nc.request(subject, body, timeout=timeout, headers=dict(headers))
        except nats.errors.NoRespondersError:
            raise NoResponderError(subject) from None
        except nats.errors.TimeoutError:
            raise RequestTimeout(f"no reply on {subject!r} within {timeout}s") from None

    async def pull(self, consumer: ConsumerSpec) -> JetStreamContext.PullSubscription:
        """Bind to the durable consumer the contract declares (provisioned beforehand)."""
        try:
            await self.js.consumer_info(consumer.stream, consumer.durable)
        except nats.js.errors.NotFoundError:
            raise LookupError(
                f"durable consumer {consumer.durable!r} on stream {consumer.stream!r} does not "
                "exist: provision the contract first (`make streams`, or settings.provision)"
            ) from None
        return await self.js.pull_subscribe_bind(durable=consumer.durable, stream=consumer.stream)
