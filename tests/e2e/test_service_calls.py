"""A service calling another through the gateway, as itself: SendNotification.

The caller is a GatewayClient with a development service key, exactly what marketing,
support and devices use; the customer then reads what was sent through the gateway too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2

from accord.rpc_status import details_of
from tests.e2e.conftest import Platform, stored_events
from tests.security.conftest import sending_service
from tests.support.email import prove_email

pytestmark = pytest.mark.e2e

OUTBOX = "acme.notifications.v1.email.outbox"


@pytest.fixture
async def sender(platform: Platform) -> AsyncIterator[pb_grpc.NotificationServiceAsyncStub]:
    async with sending_service(platform, "e2e-sender") as stub:
        yield stub


def _request(customer: str, notification_id: str, *channels: int) -> pb.SendNotificationRequest:
    return pb.SendNotificationRequest(
        notification_id=notification_id,
        customer_id=customer,
        title="Your thermostat could do this for you",
        body="You set 21 °C at 07:00 on 3 of the last 7 days.",
        event_type="acme.devices.v1.suggestion",
        attributes={"suggestionId": "s-1"},
        channels=channels,  # type: ignore[arg-type]
    )


async def test_a_service_sends_once_per_id_and_the_customer_sees_it(
    platform: Platform, sender: pb_grpc.NotificationServiceAsyncStub, unique: str
) -> None:
    customer = f"c-{unique}"
    request = _request(customer, f"e2e-sender.{unique}", pb.CHANNEL_IN_APP)
    first = await sender.SendNotification(request, timeout=10, wait_for_ready=True)
    again = await sender.SendNotification(request, timeout=10)
    assert list(first.delivered_channels) == [pb.CHANNEL_IN_APP]
    assert again == first

    async with platform.channel(customer, "notifications:read") as channel:
        listed = await pb_grpc.NotificationServiceStub(channel).ListNotifications(
            pb.ListNotificationsRequest(customer_id=customer), timeout=10
        )
    assert [n.notification_id for n in listed.notifications] == [request.notification_id]
    assert listed.notifications[0].attributes["suggestionId"] == "s-1"


async def test_the_same_id_with_other_content_is_refused(
    sender: pb_grpc.NotificationServiceAsyncStub, unique: str
) -> None:
    request = _request(f"c-{unique}", f"e2e-sender.reuse.{unique}", pb.CHANNEL_IN_APP)
    await sender.SendNotification(request, timeout=10, wait_for_ready=True)
    request.title = "something else"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await sender.SendNotification(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    info = error_details_pb2.ErrorInfo()
    assert details_of(refused.value)[0].Unpack(info)
    assert info.reason == "NOTIFICATION_ID_REUSED"


async def test_email_goes_out_only_to_a_customer_with_an_address(
    platform: Platform, sender: pb_grpc.NotificationServiceAsyncStub, unique: str
) -> None:
    without, with_address = f"n-{unique}", f"e-{unique}"
    async with platform.channel(with_address, "notifications:write") as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        await prove_email(stub, platform.nats_url, with_address, "e@example.com")
    none = await sender.SendNotification(
        _request(without, f"e2e-sender.{without}", pb.CHANNEL_EMAIL),
        timeout=10,
        wait_for_ready=True,
    )
    sent = await sender.SendNotification(
        _request(with_address, f"e2e-sender.{with_address}", pb.CHANNEL_EMAIL), timeout=10
    )
    assert list(none.delivered_channels) == []
    assert list(sent.delivered_channels) == [pb.CHANNEL_EMAIL]
    emails = await stored_events(platform.nats_url, OUTBOX)
    assert [e["to"] for e in emails if e["customerId"] == with_address] == ["e@example.com"]
    assert not [e for e in emails if e["customerId"] == without]


async def test_customers_cannot_send_and_bad_requests_name_the_field(
    platform: Platform, sender: pb_grpc.NotificationServiceAsyncStub, unique: str
) -> None:
    customer = f"c-{unique}"
    async with platform.channel(customer, "notifications:read", "notifications:write") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await pb_grpc.NotificationServiceStub(ch).SendNotification(
                _request(customer, f"self.{unique}"), timeout=10
            )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await sender.SendNotification(
            _request(customer, "bad id with spaces"), timeout=10, wait_for_ready=True
        )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    assert details_of(invalid.value)[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["notification_id"]
