"""The health monitor as the platform runs it (accord.skeleton): ReportError, the error
consumer, and its calls to support and notifications through the gateway."""

from collections.abc import Sequence

import grpc
from acme.monitor.v1 import monitor_pb2 as pb
from acme.monitor.v1 import monitor_pb2_grpc as pb_grpc
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.support.v1 import support_pb2_grpc as support_grpc
from acme_events.monitor import Application

from accord.skeleton import Api, Assemble, Parts, Service
from services.monitor.calls import SCOPES, Notices, Support
from services.monitor.grouping import BUCKET, Grouping
from services.monitor.handling import Handling
from services.monitor.reports import Reports
from services.monitor.servicer import ErrorMonitorServiceV1
from services.monitor.settings import MonitorSettings

API = Api.named("ErrorMonitorService", pb, pb_grpc)

Monitor = Parts[MonitorSettings, Application]


async def assemble(parts: Monitor) -> Sequence[object]:
    # Support and notifications are reached through the gateway, as svc-monitor.
    channel = parts.gateway().channel
    return await assemble_over(channel, channel)(parts)


def assemble_over(
    support_channel: grpc.aio.Channel, notifications_channel: grpc.aio.Channel
) -> Assemble[MonitorSettings, Application]:
    """The monitor over given channels: the gateway's in production, the services' in tests."""

    async def assembled(parts: Monitor) -> list[object]:
        timeout = parts.settings.call_timeout_seconds
        handling = Handling(
            Grouping(await parts.js.key_value(BUCKET), parts.settings.window),
            Support(support_grpc.SupportServiceStub(support_channel), timeout),
            Notices(notes_grpc.NotificationServiceStub(notifications_channel), timeout),
        )
        parts.events.consumer.receive_error_reported(handling.error_reported)
        return [ErrorMonitorServiceV1(Reports(parts.events))]

    return assembled


SERVICE = Service("monitor", MonitorSettings, (API,), Application, assemble, gateway_scopes=SCOPES)
