"""Notification ids: a service cannot take the ids another service will use.

Before: every caller of SendNotification shared one id space. A service holding the send
scope could send `support.<ticket>` first; the monitor's own notice for that ticket was then
refused as a reuse of the id (ALREADY_EXISTS) and dead-lettered: the customer never heard.
Now a service calling as `svc-<name>` sends only ids in its own namespace, `<name>.`.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from acme.monitor.v1 import monitor_pb2 as mon
from acme.monitor.v1 import monitor_pb2_grpc as mon_grpc
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2

from accord.rpc_status import details_of, reason_of
from tests.security.conftest import Platform, sending_service

pytestmark = pytest.mark.e2e


def _note(notification_id: str, customer: str) -> pb.SendNotificationRequest:
    return pb.SendNotificationRequest(
        notification_id=notification_id,
        customer_id=customer,
        title="A notice",
        event_type="acme.rogue.v1.notice",
        channels=[pb.CHANNEL_IN_APP],
    )


async def test_a_service_cannot_claim_another_services_ids(platform: Platform, unique: str) -> None:
    customer = f"c-{unique}"
    async with sending_service(platform, "rogue") as rogue:
        for claimed in (f"monitor.tk-{unique}", f"marketing.{customer}.1", f"devices.{unique}"):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await rogue.SendNotification(
                    _note(claimed, customer), timeout=10, wait_for_ready=True
                )
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            bad = error_details_pb2.BadRequest()
            assert details_of(refused.value)[0].Unpack(bad)
            assert [(v.field, v.description) for v in bad.field_violations] == [
                ("notification_id", "must begin with 'rogue.', the caller's namespace")
            ]
        own = await rogue.SendNotification(_note(f"rogue.{unique}", customer), timeout=10)
        assert own.notification.notification_id == f"rogue.{unique}"

    # The monitor's notices stay the monitor's: an error report gets its notice through.
    scopes = ("monitor:report", "support:read", "notifications:read")
    async with platform.channel(customer, *scopes) as channel:
        await mon_grpc.ErrorMonitorServiceStub(channel).ReportError(
            mon.ReportErrorRequest(
                report_id=f"r-{unique}",
                customer_id=customer,
                application="checkout-web",
                error_code="PAYMENT_DECLINED",
                message="card declined",
            ),
            timeout=10,
        )
        inbox = pb_grpc.NotificationServiceStub(channel)
        for _ in range(300):
            listed = await inbox.ListNotifications(
                pb.ListNotificationsRequest(customer_id=customer)
            )
            notices = [n for n in listed.notifications if n.notification_id.startswith("monitor.")]
            if notices:
                break
            await asyncio.sleep(0.05)
    assert [n.notification_id for n in notices] == [f"monitor.{notices[0].attributes['ticketId']}"]


async def test_a_caller_that_is_not_a_service_cannot_send(platform: Platform, unique: str) -> None:
    # Staff, or anyone else, granted the scope: the contract's callers are services.
    async with platform.channel("staff", "notifications:send") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await pb_grpc.NotificationServiceStub(channel).SendNotification(
                _note(f"staff.{unique}", f"c-{unique}")
            )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(refused.value) == "NOT_A_SERVICE"
