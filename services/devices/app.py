"""Wiring of the devices service: its buckets, its consumer, its gateway client, its servicer."""

import dataclasses

from acme.devices.v1 import devices_pb2 as pb
from acme.devices.v1 import devices_pb2_grpc as pb_grpc
from acme_events.devices import CONTRACT, SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import Contract, EventSettings, provision
from accord.gateway_client import GatewayClient
from accord.service import Wiring
from services.devices import handlers, history, registry, suggestions
from services.devices.notifier import SCOPES, Notifier
from services.devices.schedules import ScheduleSender
from services.devices.servicer import DeviceServiceV1
from services.devices.settings import DevicesSettings

NAME = "devices"
Settings = DevicesSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["DeviceService"].full_name,)
ADMIN_SCOPE = "devices:admin"
ADJUSTED = "receiveThermostatAdjusted"


def contract(settings: DevicesSettings) -> Contract:
    """The generated contract, with the adjustment retry policy the settings override (tests
    use short delays; production keeps the contract's)."""
    operation = CONTRACT.operation(ADJUSTED)
    assert operation.consumer is not None
    consumer = operation.consumer
    if settings.adjustment_retry_delays is not None:
        consumer = dataclasses.replace(consumer, backoff=settings.adjustment_retry_delays)
    if settings.adjustment_max_deliveries is not None:
        consumer = dataclasses.replace(consumer, max_deliver=settings.adjustment_max_deliveries)
    if consumer == operation.consumer:
        return CONTRACT
    operations = {
        **CONTRACT.operations,
        ADJUSTED: dataclasses.replace(operation, consumer=consumer),
    }
    return dataclasses.replace(CONTRACT, operations=operations)


async def build(nc: NatsClient, settings: DevicesSettings) -> Wiring:
    # Provision before opening the buckets: the contract declares them and the streams.
    events = Application(nc, settings=EventSettings(source=SOURCE), contract=contract(settings))
    js = nc.jetstream()
    if settings.provision:
        await provision(js, [events.contract])
    devices = registry.Registry(await js.key_value(registry.BUCKET))
    habits = history.History(await js.key_value(history.BUCKET))
    proposals = suggestions.Suggestions(await js.key_value(suggestions.BUCKET))
    client = GatewayClient.open(settings, NAME, scopes=SCOPES)
    notifier = Notifier(client, settings.notify_timeout_seconds)
    handlers.register(events, devices, habits, proposals, notifier)
    await events.start()
    servicer = DeviceServiceV1(devices, proposals, ScheduleSender(events), Access(ADMIN_SCOPE))
    return Wiring(
        registrars=[lambda server: pb_grpc.add_DeviceServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        # Stopped in reverse: the consumer first (in-flight reports finish), then the client.
        on_stop=[client.close, events.stop],
    )
