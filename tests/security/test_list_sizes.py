"""List sizes: every list method bounds its page and reads only the page it returns.

Before: `ListNotifications` with `page_size: -1` returned 403 items where the maximum page is
100 (the size was only capped from above, and -1 is truthy), and every list call read every
key the customer had before it chose its page.
"""

import base64
import json

import grpc
import nats
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2
from nats.aio.msg import Msg

from accord.paging import MAX_PAGE_SIZE
from accord.rpc_status import details_of
from tests.e2e.conftest import Platform, platform, platform_nats  # noqa: F401  (fixtures)
from tests.support.contracts import every_method, message_type, multicallable, new_message

pytestmark = pytest.mark.e2e

STORED = 150  # more than the largest page
LIST_METHODS = [
    m for m in every_method() if "page_size" in message_type(m.input_type).fields_by_name
]


def refused_field(error: grpc.aio.AioRpcError) -> list[str]:
    request = error_details_pb2.BadRequest()
    return [
        violation.field
        for detail in details_of(error)
        if detail.Unpack(request)
        for violation in request.field_violations
    ]


@pytest.fixture(scope="module")
async def customer(platform: Platform) -> str:  # noqa: F811
    """A customer with STORED in-app notifications, sent as a service would send them."""
    customer = "many-notes"
    # A service (`svc-<name>`): SendNotification takes only services, each in its own
    # namespace of ids (`list-sizes.`).
    async with platform.channel("svc-list-sizes", "notifications:send") as channel:
        sender = pb_grpc.NotificationServiceStub(channel)
        for n in range(STORED):
            await sender.SendNotification(
                pb.SendNotificationRequest(
                    notification_id=f"list-sizes.{n}",
                    customer_id=customer,
                    title=f"note {n}",
                    event_type="acme.test.v1.note",
                    channels=[pb.CHANNEL_IN_APP],
                ),
                timeout=10,
                wait_for_ready=True,
            )
    return customer


@pytest.mark.parametrize("page_size", [-1, -(2**31), MAX_PAGE_SIZE + 1, 2**31 - 1])
async def test_a_page_size_out_of_bounds_is_refused_naming_it(
    platform: Platform,  # noqa: F811
    customer: str,
    page_size: int,
) -> None:
    async with platform.channel(customer, "notifications:read") as channel:
        inbox = pb_grpc.NotificationServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await inbox.ListNotifications(
                pb.ListNotificationsRequest(customer_id=customer, page_size=page_size)
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused_field(refused.value) == ["page_size"]


async def test_pages_hold_every_notification_once_oldest_first_default_twenty(
    platform: Platform,  # noqa: F811
    customer: str,
) -> None:
    async with platform.channel(customer, "notifications:read") as channel:
        inbox = pb_grpc.NotificationServiceStub(channel)
        first = await inbox.ListNotifications(pb.ListNotificationsRequest(customer_id=customer))
        assert len(first.notifications) == 20  # 0 means the default
        titles: list[str] = []
        token = ""
        while True:
            page = await inbox.ListNotifications(
                pb.ListNotificationsRequest(
                    customer_id=customer, page_size=MAX_PAGE_SIZE, page_token=token
                )
            )
            assert len(page.notifications) <= MAX_PAGE_SIZE
            titles += [n.title for n in page.notifications]
            token = page.next_page_token
            if not token:
                break
    assert titles == [f"note {n}" for n in range(STORED)]


async def test_a_page_reads_only_its_own_entries(
    platform: Platform,  # noqa: F811
    customer: str,
) -> None:
    """What the service asks the bucket for, seen on the wire: batches no larger than the
    page, never the customer's whole index (STORED entries)."""
    watcher = await nats.connect(platform.nats_url)
    asked: list[dict[str, object]] = []

    async def seen(msg: Msg) -> None:
        asked.append(json.loads(msg.data))

    subscription = await watcher.subscribe("$JS.API.DIRECT.GET.KV_notifications", cb=seen)
    try:
        await watcher.flush()
        async with platform.channel(customer, "notifications:read") as channel:
            inbox = pb_grpc.NotificationServiceStub(channel)
            page = await inbox.ListNotifications(
                pb.ListNotificationsRequest(customer_id=customer, page_size=10)
            )
        await watcher.flush()
    finally:
        await subscription.unsubscribe()
        await watcher.close()
    assert len(page.notifications) == 10
    # One read of the page's entries, one of the newest revision of just those keys.
    assert len(asked) == 2
    assert all(int(str(request.get("batch", 1))) <= 10 for request in asked)
    assert len(asked[1].get("multi_last", [])) <= 10  # type: ignore[arg-type]


@pytest.mark.parametrize("method", LIST_METHODS, ids=lambda m: m.full_name)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("page_size", -1),
        ("page_size", MAX_PAGE_SIZE + 1),
        ("page_token", "not-a-token"),
        ("page_token", base64.urlsafe_b64encode(b"customer.alice.0001").decode()),
    ],
)
async def test_every_list_method_refuses_sizes_and_tokens_it_did_not_issue(
    platform: Platform,  # noqa: F811
    method: object,
    field: str,
    value: object,
) -> None:
    from accord.descriptors import MethodContract

    assert isinstance(method, MethodContract)
    assert method.policy is not None
    subject = "list-sizes-owner"
    request = new_message(method.input_type)
    for name, described in message_type(method.input_type).fields_by_name.items():
        if name.endswith("_id") and described.type == described.TYPE_STRING:
            setattr(request, name, subject)  # a well-formed id: the page is what is wrong
    setattr(request, field, value)
    scopes = [*method.policy.required_scopes, method.policy.admin_scope]
    async with platform.channel(subject, *[s for s in scopes if s]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await multicallable(channel, method)(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused_field(refused.value)
