"""Typed events over NATS JetStream, straight from the AsyncAPI contracts.

`make codegen` turns `asyncapi/<service>.yaml` into `acme_events.<service>`: typed
payload models and an `Application` whose producer and consumer routers are built
from the classes here. A service uses it like this::

    nc = await connect(settings.nats_url)
    app = Application(nc, settings=EventSettings(source="/acme/notifications"))

    @app.consumer.receive_order_placed
    async def on_placed(order: OrderPlacedPayload, event: EventContext) -> None:
        ...  # idempotent on event.id; raise to retry with the contract's backoff

    async with app:
        await app.producer.send_order_placed(payload, event_id=f"order-{order_id}")
"""

from accord.events._application import EventApplication
from accord.events._cloudevents import EventContext, current_event, event_headers
from accord.events._codec import PayloadCodec
from accord.events._connect import connect
from accord.events._contract import (
    BucketSpec,
    ConsumerSpec,
    Contract,
    MessageSpec,
    OperationSpec,
    StreamSpec,
)
from accord.events._deadletter import dead_letter_headers
from accord.events._document import load_document, service_documents
from accord.events._durations import parse_duration
from accord.events._errors import (
    ContractViolation,
    EventError,
    NoResponderError,
    NoStreamError,
    ProvisioningRefused,
    PublishTimeout,
    RemoteHandlerError,
    RequestTimeout,
    RetryLater,
    Unprocessable,
)
from accord.events._provision import provision, provision_documents
from accord.events._publisher import Publisher
from accord.events._rpc import RpcClient, RpcServer
from accord.events._settings import EventSettings
from accord.events._subscriber import CoreSubscriber, Subscriber
from accord.events._wire import JetStreamWire, Published, PublishFailed

__all__ = [
    "BucketSpec",
    "ConsumerSpec",
    "Contract",
    "ContractViolation",
    "CoreSubscriber",
    "EventApplication",
    "EventContext",
    "EventError",
    "EventSettings",
    "JetStreamWire",
    "MessageSpec",
    "NoResponderError",
    "NoStreamError",
    "OperationSpec",
    "PayloadCodec",
    "ProvisioningRefused",
    "PublishFailed",
    "PublishTimeout",
    "Published",
    "Publisher",
    "RemoteHandlerError",
    "RequestTimeout",
    "RetryLater",
    "RpcClient",
    "RpcServer",
    "StreamSpec",
    "Subscriber",
    "Unprocessable",
    "connect",
    "current_event",
    "dead_letter_headers",
    "event_headers",
    "load_document",
    "parse_duration",
    "provision",
    "provision_documents",
    "service_documents",
]
