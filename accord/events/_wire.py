"""The JetStream wire: acknowledged publishes, durable pull subscriptions, core requests."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.client import JetStreamContext

from accord.events._cloudevents import ID, NATS_MSG_ID
from accord.events._contract import ConsumerSpec
from accord.events._errors import NoResponderError, NoStreamError, PublishTimeout, RequestTimeout

_RETRY_PAUSE = 0.25


@dataclass(frozen=True)
class Published:
    """Where JetStream stored an event; `duplicate` when the id was seen in the window."""

    event_id: str
    stream: str
    sequence: int
    duplicate: bool


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
            if attempt < attempts:
                await asyncio.sleep(_RETRY_PAUSE)
        raise PublishTimeout(
            f"JetStream did not acknowledge event {event_id} on {subject!r} "
            f"({attempts} attempts of {timeout}s); it may be stored: retry with the same id"
        )

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
