"""Smart home through the gateway: a thermostat's habit becomes a suggestion in the owner's
app; accepted, it reaches the device on its own subject; declined, it never comes back.
Each thermostat is claimed with its code and connects with the credentials its claim
issued, as a device does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta, timezone

import grpc
import nats
import pytest
from acme.devices.v1 import devices_pb2 as pb
from acme.devices.v1 import devices_pb2_grpc as pb_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from nats.aio.client import Client as NatsClient

from accord.nats_auth import without_credentials
from tests.e2e.conftest import Platform
from tests.integration.devices.thermostat import (
    claim_code,
    connect_device,
    handled,
    report,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

OWNER = ("devices:read", "devices:write", "notifications:read")
CET = timezone(timedelta(hours=1))
TODAY = date.today()


def local(days_ago: int, hh: int = 7, mm: int = 0) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hh, mm), tzinfo=CET)


@pytest.fixture
async def developer(platform: Platform) -> AsyncIterator[NatsClient]:
    """The developer's connection (development only), to see what the consumer settled."""
    async with await nats.connect(platform.nats_url) as nc:
        yield nc


@asynccontextmanager
async def _thermostat(platform: Platform, owner: str, device: str) -> AsyncIterator[NatsClient]:
    """The device, claimed by `owner` with its code, connected as itself."""
    async with platform.channel(owner, *OWNER) as channel:
        claimed = await pb_grpc.DeviceServiceStub(channel).RegisterDevice(
            pb.RegisterDeviceRequest(
                owner_id=owner,
                device_id=device,
                display_name="Hall",
                claim_code=claim_code(platform.home, device),
            )
        )
    nc = await connect_device(without_credentials(platform.nats_url), claimed.credentials)
    try:
        yield nc
    finally:
        await nc.close()


@asynccontextmanager
async def _alices_hall(
    platform: Platform, unique: str
) -> AsyncIterator[tuple[str, str, NatsClient]]:
    """Alice, the thermostat in her hall (this test's own), and its connection."""
    owner, device = f"alice-{unique}", f"hall-{unique}"
    async with _thermostat(platform, owner, device) as thermostat:
        yield owner, device, thermostat


async def _repeat(
    developer: NatsClient, thermostat: NatsClient, days: tuple[int, ...], mm: int = 0
) -> None:
    """The owner turns the device to 21 °C around 07:00 on each of `days` (days ago)."""
    last = 0
    device = str(thermostat.options["user"])  # the device's id is its NATS user
    for days_ago in days:
        last = await report(thermostat, device, 21.0, local(days_ago, 7, mm))
    await handled(developer, last)


async def _suggestions(platform: Platform, owner: str) -> list[pb.Suggestion]:
    async with platform.channel(owner, *OWNER) as channel:
        listed = await pb_grpc.DeviceServiceStub(channel).ListSuggestions(
            pb.ListSuggestionsRequest(owner_id=owner)
        )
    return list(listed.suggestions)


async def _app_notices(platform: Platform, owner: str) -> list[notes.Notification]:
    async with platform.channel(owner, *OWNER) as channel:
        listed = await notes_grpc.NotificationServiceStub(channel).ListNotifications(
            notes.ListNotificationsRequest(customer_id=owner)
        )
    return [n for n in listed.notifications if n.event_type == "acme.devices.v1.suggestion"]


async def _suggested(
    platform: Platform, developer: NatsClient, thermostat: NatsClient, owner: str
) -> notes.Notification:
    """Repeat the change on 3 days; the notice in the owner's app."""
    await _repeat(developer, thermostat, (3, 2, 1))
    [notice] = await eventually(lambda: _app_notices(platform, owner))
    return notice


async def test_three_days_of_repeats_suggest_an_automation_in_the_owners_app(
    platform: Platform, developer: NatsClient, unique: str
) -> None:
    async with _alices_hall(platform, unique) as (owner, device, thermostat):
        notice = await _suggested(platform, developer, thermostat, owner)
    [suggestion] = await _suggestions(platform, owner)
    assert notice.attributes["suggestionId"] == suggestion.suggestion_id == f"sg-{device}-210-0700"
    assert notice.attributes["localTime"] == "07:00"
    assert suggestion.state == pb.SUGGESTION_STATE_PENDING


async def test_two_days_of_repeats_suggest_nothing(
    platform: Platform, developer: NatsClient, unique: str
) -> None:
    async with _alices_hall(platform, unique) as (owner, _, thermostat):
        await _repeat(developer, thermostat, (2, 1))
    assert await _suggestions(platform, owner) == []
    assert await _app_notices(platform, owner) == []


async def test_an_accepted_suggestion_reaches_the_device_subject(
    platform: Platform, developer: NatsClient, unique: str
) -> None:
    async with _alices_hall(platform, unique) as (owner, device, thermostat):
        notice = await _suggested(platform, developer, thermostat, owner)
        inbox = await thermostat.subscribe(f"acme.devices.v1.device.{device}.schedule")
        try:
            async with platform.channel(owner, *OWNER) as channel:
                accepted = await pb_grpc.DeviceServiceStub(channel).AcceptSuggestion(
                    pb.AcceptSuggestionRequest(suggestion_id=notice.attributes["suggestionId"])
                )
            schedule = json.loads((await inbox.next_msg(timeout=10)).data)
        finally:
            await inbox.unsubscribe()
    assert accepted.suggestion.state == pb.SUGGESTION_STATE_ACCEPTED
    assert schedule["scheduleId"] == accepted.schedule.schedule_id
    assert (schedule["deviceId"], schedule["setpointCelsius"], schedule["localTime"]) == (
        device,
        21.0,
        "07:00",
    )


async def test_a_declined_suggestion_does_not_come_back(
    platform: Platform, developer: NatsClient, unique: str
) -> None:
    async with _alices_hall(platform, unique) as (owner, _, thermostat):
        notice = await _suggested(platform, developer, thermostat, owner)
        async with platform.channel(owner, *OWNER) as channel:
            await pb_grpc.DeviceServiceStub(channel).DeclineSuggestion(
                pb.DeclineSuggestionRequest(suggestion_id=notice.attributes["suggestionId"])
            )
        await _repeat(developer, thermostat, (0,), mm=5)  # the habit goes on the next day
    assert [s.state for s in await _suggestions(platform, owner)] == [pb.SUGGESTION_STATE_DECLINED]
    assert len(await _app_notices(platform, owner)) == 1


async def test_bob_can_neither_see_nor_decide_alices_devices_and_suggestions(
    platform: Platform, developer: NatsClient, unique: str
) -> None:
    alice, bob, device = f"alice-{unique}", f"bob-{unique}", f"hall-{unique}"
    async with _thermostat(platform, alice, device) as thermostat:
        notice = await _suggested(platform, developer, thermostat, alice)
    suggestion_id = notice.attributes["suggestionId"]
    async with platform.channel(bob, *OWNER) as channel:
        devices = pb_grpc.DeviceServiceStub(channel)
        refusals: dict[str, Awaitable[object]] = {
            "GetDevice": devices.GetDevice(pb.GetDeviceRequest(device_id=device)),
            "ListDevices": devices.ListDevices(pb.ListDevicesRequest(owner_id=alice)),
            "ListSuggestions": devices.ListSuggestions(pb.ListSuggestionsRequest(owner_id=alice)),
            "AcceptSuggestion": devices.AcceptSuggestion(
                pb.AcceptSuggestionRequest(suggestion_id=suggestion_id)
            ),
            "DeclineSuggestion": devices.DeclineSuggestion(
                pb.DeclineSuggestionRequest(suggestion_id=suggestion_id)
            ),
        }
        codes: dict[str, grpc.StatusCode] = {}
        for name, call in refusals.items():
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            codes[name] = refused.value.code()
    assert codes == {
        "GetDevice": grpc.StatusCode.NOT_FOUND,
        "ListDevices": grpc.StatusCode.PERMISSION_DENIED,  # the gateway's owner check
        "ListSuggestions": grpc.StatusCode.PERMISSION_DENIED,
        "AcceptSuggestion": grpc.StatusCode.NOT_FOUND,
        "DeclineSuggestion": grpc.StatusCode.NOT_FOUND,
    }
    [still] = await _suggestions(platform, alice)
    assert still.state == pb.SUGGESTION_STATE_PENDING
