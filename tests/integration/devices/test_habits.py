"""Thermostat reports on real NATS: habits become one suggestion each, told in the app."""

import json
from datetime import date, datetime, time, timedelta, timezone

import grpc
import pytest
from acme.devices.v1 import devices_pb2 as pb
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from nats.js.api import ConsumerConfig, DeliverPolicy

from tests.integration.devices.conftest import SmartHome
from tests.integration.devices.thermostat import (
    DEAD_LETTERS,
    claim_code,
    handled,
    report,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

CET = timezone(timedelta(hours=1))
TODAY = date.today()


def local(days_ago: int, hh: int = 7, mm: int = 0) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hh, mm), tzinfo=CET)


async def _register(home: SmartHome, owner: str, device: str) -> None:
    async with home.direct(owner) as devices:
        await devices.RegisterDevice(
            pb.RegisterDeviceRequest(
                owner_id=owner,
                device_id=device,
                display_name="Hall",
                claim_code=claim_code(home.home, device),
            )
        )


async def _suggestions(home: SmartHome, owner: str) -> list[pb.Suggestion]:
    async with home.direct(owner) as devices:
        listed = await devices.ListSuggestions(pb.ListSuggestionsRequest(owner_id=owner))
    return list(listed.suggestions)


async def _notes(home: SmartHome, owner: str) -> list[notes.Notification]:
    async with home.through_gateway(owner) as channel:
        inbox = notes_grpc.NotificationServiceStub(channel)
        listed = await inbox.ListNotifications(notes.ListNotificationsRequest(customer_id=owner))
    return list(listed.notifications)


async def test_register_then_list_and_get(smart_home: SmartHome, unique: str) -> None:
    owner = f"ann-{unique}"
    await _register(smart_home, owner, f"t2-{unique}")
    await _register(smart_home, owner, f"t1-{unique}")
    await _register(smart_home, owner, f"t1-{unique}")  # a repeat changes nothing
    async with smart_home.direct(owner) as devices:
        listed = await devices.ListDevices(pb.ListDevicesRequest(owner_id=owner, page_size=1))
        # In the order they were registered; a repeat keeps its place.
        assert [d.device_id for d in listed.devices] == [f"t2-{unique}"]
        rest = await devices.ListDevices(
            pb.ListDevicesRequest(owner_id=owner, page_token=listed.next_page_token)
        )
        assert [d.device_id for d in rest.devices] == [f"t1-{unique}"]
        assert rest.next_page_token == ""
        got = await devices.GetDevice(pb.GetDeviceRequest(device_id=f"t1-{unique}"))
        assert got.device.owner_id == owner
        assert got.device.display_name == "Hall"


async def test_another_owners_device_is_hidden_and_cannot_be_taken(
    smart_home: SmartHome, unique: str
) -> None:
    await _register(smart_home, f"ann-{unique}", f"t-{unique}")
    bob = f"bob-{unique}"
    async with smart_home.direct(bob) as devices:
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await devices.GetDevice(pb.GetDeviceRequest(device_id=f"t-{unique}"))
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        # Without the device's code, taken or not is the same answer.
        for device in (f"t-{unique}", f"never-{unique}"):
            with pytest.raises(grpc.aio.AioRpcError) as guessed:
                await devices.RegisterDevice(
                    pb.RegisterDeviceRequest(
                        owner_id=bob, device_id=device, claim_code="AAAA-AAAA-AAAA-AAAA"
                    )
                )
            assert guessed.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert guessed.value.details() == f"the claim code does not match device {device}"
        # Holding the device (its code), bob learns it is claimed, and cannot take it.
        with pytest.raises(grpc.aio.AioRpcError) as taken:
            await devices.RegisterDevice(
                pb.RegisterDeviceRequest(
                    owner_id=bob,
                    device_id=f"t-{unique}",
                    claim_code=claim_code(smart_home.home, f"t-{unique}"),
                )
            )
        assert taken.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        listed = await devices.ListDevices(pb.ListDevicesRequest(owner_id=bob))
        assert list(listed.devices) == []
        with pytest.raises(grpc.aio.AioRpcError) as other:
            await devices.ListDevices(pb.ListDevicesRequest(owner_id=f"ann-{unique}"))
        assert other.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_three_days_of_a_habit_make_one_suggestion_told_in_the_app(
    smart_home: SmartHome, unique: str
) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    await _register(smart_home, owner, device)
    await report(smart_home.nc, device, 21.0, local(3, 7, 2))
    await report(smart_home.nc, device, 21.5, local(2, 6, 48))
    last = await report(smart_home.nc, device, 21.0, local(1, 7, 10))
    await handled(smart_home.nc, last)
    [suggestion] = await _suggestions(smart_home, owner)
    assert suggestion.suggestion_id == f"sg-{device}-210-0700"
    assert (suggestion.setpoint_celsius, suggestion.local_time) == (21.0, "07:00")
    assert suggestion.state == pb.SUGGESTION_STATE_PENDING
    assert list(suggestion.days) == [local(d).date().isoformat() for d in (3, 2, 1)]
    [note] = await eventually(lambda: _notes(smart_home, owner))
    assert note.attributes["suggestionId"] == suggestion.suggestion_id
    assert note.event_type == "acme.devices.v1.suggestion"

    # The habit goes on (another day, rounding into the neighbouring quarter hour): the
    # same suggestion stands, and the owner is not told again.
    last = await report(smart_home.nc, device, 21.0, local(0, 7, 8))
    await handled(smart_home.nc, last)
    assert [s.suggestion_id for s in await _suggestions(smart_home, owner)] == [
        suggestion.suggestion_id
    ]
    assert len(await _notes(smart_home, owner)) == 1


async def test_two_days_make_no_suggestion(smart_home: SmartHome, unique: str) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    await _register(smart_home, owner, device)
    await report(smart_home.nc, device, 21.0, local(2))
    await report(smart_home.nc, device, 21.0, local(1))
    # The same day again (a report repeated under a new event id, another change that day)
    # and a scheduled change: none is a third day of a manual habit.
    await report(smart_home.nc, device, 21.0, local(1), event_id=f"again-{unique}")
    await report(smart_home.nc, device, 21.0, local(1, 7, 20))
    last = await report(smart_home.nc, device, 21.0, local(0), mode="SCHEDULED")
    await handled(smart_home.nc, last)
    assert await _suggestions(smart_home, owner) == []
    assert await _notes(smart_home, owner) == []


async def test_a_report_of_an_unknown_device_is_dead_lettered_with_the_reason(
    smart_home: SmartHome, unique: str
) -> None:
    js = smart_home.nc.jetstream()
    subscription = await js.subscribe(
        DEAD_LETTERS, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    )
    try:
        await report(smart_home.nc, f"ghost-{unique}", 20.0, local(0))
        while True:
            record = await subscription.next_msg(timeout=10)
            if json.loads(record.data)["deviceId"] == f"ghost-{unique}":
                break
    finally:
        await subscription.unsubscribe()
    reason = (record.headers or {})["accord-dead-letter-reason"]
    assert f"device ghost-{unique} is not registered" in reason
