"""In-app: Subscribe replays from a cursor, then streams live; only a customer's own."""

import asyncio
from pathlib import Path

import grpc
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme_events.orders import Application as Orders

from accord.service import RunningService
from accord.tooling import devkeys
from gateway.server import Gateway
from tests.integration.notifications.conftest import AsCustomer
from tests.integration.notifications.publish import order_placed

pytestmark = pytest.mark.integration

READ_TIMEOUT = 10.0  # a bound for a broken run, not a timing claim


async def next_of(
    call: "grpc.aio.UnaryStreamCall[pb.SubscribeRequest, pb.SubscribeResponse]",
) -> pb.SubscribeResponse:
    response = await asyncio.wait_for(call.read(), READ_TIMEOUT)
    assert isinstance(response, pb.SubscribeResponse)
    return response


async def test_a_stream_that_reconnects_with_its_cursor_misses_nothing_and_repeats_nothing(
    as_customer: AsCustomer, orders_events: Orders, unique: str
) -> None:
    customer = f"c-{unique}"
    stub = await as_customer(customer)
    seen: list[pb.SubscribeResponse] = []

    # Live: the stream is open before anything happens.
    first = stub.Subscribe(pb.SubscribeRequest(customer_id=customer))
    ids = [await order_placed(orders_events, customer, f"o{i}-{unique}") for i in range(3)]
    seen += [await next_of(first) for _ in range(2)]
    first.cancel()  # the app goes away after two, with a third already sent its way

    # While it is away, two more happen.
    ids += [await order_placed(orders_events, customer, f"o{i}-{unique}") for i in (3, 4)]

    again = stub.Subscribe(pb.SubscribeRequest(customer_id=customer, cursor=seen[-1].cursor))
    seen += [await next_of(again) for _ in range(3)]
    # And live again: the next one after the replay is the next new one, nothing in between.
    ids.append(await order_placed(orders_events, customer, f"o5-{unique}"))
    seen.append(await next_of(again))
    again.cancel()

    # Each notification once; events published together may be handled (and so enter the
    # in-app stream) in either order, since the consumer handles several at a time.
    seen_ids = [s.notification.notification_id for s in seen]
    assert sorted(seen_ids) == sorted(ids)
    assert seen_ids[-1] == ids[-1]
    cursors = [s.cursor for s in seen]
    assert cursors == sorted(set(cursors))
    first_order = next(s.notification for s in seen if s.notification.notification_id == ids[0])
    assert first_order.title == f"Order o0-{unique} is confirmed"
    assert dict(first_order.attributes) == {"orderId": f"o0-{unique}", "status": "PENDING"}


async def test_the_service_refuses_a_subscription_to_another_customer(
    as_customer: AsCustomer, unique: str
) -> None:
    stub = await as_customer(f"a-{unique}")
    call = stub.Subscribe(pb.SubscribeRequest(customer_id=f"b-{unique}"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call.read()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as listing:
        await stub.ListNotifications(pb.ListNotificationsRequest(customer_id=f"b-{unique}"))
    assert listing.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_staff_with_the_admin_scope_may_subscribe_for_a_customer(
    as_customer: AsCustomer, orders_events: Orders, unique: str
) -> None:
    customer = f"c-{unique}"
    event_id = await order_placed(orders_events, customer, f"o-{unique}")
    staff = await as_customer("staff", "notifications:read", "notifications:admin")
    call = staff.Subscribe(pb.SubscribeRequest(customer_id=customer))
    assert (await next_of(call)).notification.notification_id == event_id
    call.cancel()


async def test_through_the_gateway_a_customer_subscribes_to_their_own_only(
    gateway: Gateway, orders_events: Orders, notifications_home: Path, unique: str
) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    token = devkeys.mint_token(alice, ["notifications:read"], home=notifications_home)
    bearer = [("authorization", f"Bearer {token}")]
    event_id = await order_placed(orders_events, alice, f"o-{unique}")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        own = stub.Subscribe(pb.SubscribeRequest(customer_id=alice), metadata=bearer)
        assert (await next_of(own)).notification.notification_id == event_id
        own.cancel()
        other = stub.Subscribe(pb.SubscribeRequest(customer_id=bob), metadata=bearer)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await other.read()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_call_that_did_not_come_through_the_gateway_is_refused(
    notifications: RunningService, unique: str
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{notifications.port}") as channel:
        call = pb_grpc.NotificationServiceStub(channel).Subscribe(
            pb.SubscribeRequest(customer_id=f"c-{unique}")
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call.read()
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
