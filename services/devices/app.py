"""Wiring of the devices service: its buckets, its consumer, its gateway client, its servicer."""

import dataclasses

from acme.devices.v1 import devices_pb2 as pb
from acme.devices.v1 import devices_pb2_grpc as pb_grpc
from acme_events.devices import CONTRACT, SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import Contract, EventSettings
from accord.gateway_client import GatewayClient
from accord.nats_auth import development_seed, issuer_identity
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.devices import claims, handlers, history, registry, suggestions
from services.devices.identities import DeviceAuthorizer
from services.devices.notifier import SCOPES, Notifier
from services.devices.schedules import ScheduleSender
from services.devices.servicer import DeviceServiceV1
from services.devices.settings import DevicesSettings

NAME = "devices"
# What it calls other services with, through the gateway (its API key holds just these).
GATEWAY_SCOPES = SCOPES
Settings = DevicesSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["DeviceService"].full_name,)
ADMIN_SCOPE = "devices:admin"
# Reports from devices as themselves, and those stored before devices were identities.
ADJUSTED = ("receiveDeviceAdjusted", "receiveThermostatAdjusted")


def contract(settings: DevicesSettings) -> Contract:
    """The generated contract, with the adjustment retry policy the settings override (tests
    use short delays; production keeps the contract's)."""
    operations = dict(CONTRACT.operations)
    for key in ADJUSTED:
        operation = CONTRACT.operation(key)
        assert operation.consumer is not None
        consumer = operation.consumer
        if settings.adjustment_retry_delays is not None:
            consumer = dataclasses.replace(consumer, backoff=settings.adjustment_retry_delays)
        if settings.adjustment_max_deliveries is not None:
            consumer = dataclasses.replace(consumer, max_deliver=settings.adjustment_max_deliveries)
        operations[key] = dataclasses.replace(operation, consumer=consumer)
    if operations == dict(CONTRACT.operations):
        return CONTRACT
    return dataclasses.replace(CONTRACT, operations=operations)


async def build(nc: NatsClient, settings: DevicesSettings) -> Wiring:
    # Provision before opening the buckets: the contract declares them and the streams.
    events = Application(nc, settings=EventSettings(source=SOURCE), contract=contract(settings))
    js = nc.jetstream()
    await provision_at_start(settings, [events.contract])
    devices = registry.Registry(await js.key_value(registry.BUCKET))
    habits = history.History(await js.key_value(history.BUCKET))
    proposals = suggestions.Suggestions(await js.key_value(suggestions.BUCKET))
    client = GatewayClient.open(settings, NAME)
    notifier = Notifier(client, settings.notify_timeout_seconds)
    handlers.register(events, devices, habits, proposals, notifier)
    await events.start()
    # Devices connect as themselves: the server asks this service about each of them.
    authorizer = DeviceAuthorizer(nc, devices, _issuer_seed(settings))
    await authorizer.start()
    servicer = DeviceServiceV1(
        devices,
        proposals,
        ScheduleSender(events),
        Access(ADMIN_SCOPE),
        _claim_key(settings),
    )
    return Wiring(
        registrars=[lambda server: pb_grpc.add_DeviceServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        # Stopped in reverse: the consumer first (in-flight reports finish), then the client.
        on_stop=[client.close, events.stop, authorizer.stop],
    )


def _claim_key(settings: DevicesSettings) -> bytes:
    if settings.claim_key_file is not None:
        return claims.load_claim_key(settings.claim_key_file)
    if not settings.development:
        raise RuntimeError("no claim key: set ACCORD_DEVICES_CLAIM_KEY_FILE")
    return claims.development_claim_key(settings)


def _issuer_seed(settings: DevicesSettings) -> str:
    if settings.nats_issuer_seed_file is not None:
        return settings.nats_issuer_seed_file.read_text().strip()
    if not settings.development:
        raise RuntimeError("no issuer key for devices: set ACCORD_DEVICES_NATS_ISSUER_SEED_FILE")
    return development_seed(settings, issuer_identity(NAME))
