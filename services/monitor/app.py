"""Wiring of the health monitor: ReportError, the error consumer, its calls through the gateway."""

import grpc
from acme.monitor.v1 import monitor_pb2 as pb
from acme.monitor.v1 import monitor_pb2_grpc as pb_grpc
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.support.v1 import support_pb2_grpc as support_grpc
from acme_events.monitor import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.gateway_client import GatewayClient
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.monitor.calls import SCOPES, Notices, Support
from services.monitor.grouping import BUCKET, Grouping
from services.monitor.handling import Handling
from services.monitor.reports import Reports
from services.monitor.servicer import ADMIN_SCOPE, ErrorMonitorServiceV1
from services.monitor.settings import MonitorSettings

NAME = "monitor"
# What it calls other services with, through the gateway (its API key holds just these).
GATEWAY_SCOPES = SCOPES
Settings = MonitorSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["ErrorMonitorService"].full_name,)


async def build(nc: NatsClient, settings: MonitorSettings) -> Wiring:
    # Support and notifications are reached through the gateway, as svc-monitor.
    client = GatewayClient.open(settings, NAME)
    try:
        wiring = await wire(nc, settings, client.channel, client.channel)
    except BaseException:
        await client.close()
        raise
    wiring.on_stop.insert(0, client.close)  # stopped last: after the consumer drained
    return wiring


async def wire(
    nc: NatsClient,
    settings: MonitorSettings,
    support_channel: grpc.aio.Channel,
    notifications_channel: grpc.aio.Channel,
) -> Wiring:
    """The monitor over given channels: the gateway's in production, the services' in tests."""
    events = Application(nc, settings=EventSettings(source=SOURCE))
    js = nc.jetstream()
    # Provision before opening the bucket: the contract declares it and the MONITOR stream.
    await provision_at_start(settings, [events.contract])
    grouping = Grouping(await js.key_value(BUCKET), settings.window)
    timeout = settings.call_timeout_seconds
    handling = Handling(
        grouping,
        Support(support_grpc.SupportServiceStub(support_channel), timeout),
        Notices(notes_grpc.NotificationServiceStub(notifications_channel), timeout),
    )
    events.consumer.receive_error_reported(handling.error_reported)
    await events.start()
    servicer = ErrorMonitorServiceV1(Reports(events), Access(ADMIN_SCOPE))
    return Wiring(
        registrars=[
            lambda server: pb_grpc.add_ErrorMonitorServiceServicer_to_server(servicer, server)
        ],
        services=SERVICES,
        on_stop=[events.stop],
    )
