"""What owners make of suggestions: accepted ones reach the device, declined ones stay away."""

import json
from datetime import date, datetime, time, timedelta, timezone

import grpc
import pytest
from acme.devices.v1 import devices_pb2 as pb

from tests.integration.devices.conftest import SmartHome
from tests.integration.devices.thermostat import claim_code, handled, report

pytestmark = pytest.mark.integration

CET = timezone(timedelta(hours=1))
TODAY = date.today()


def local(days_ago: int, hh: int = 22, mm: int = 0) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hh, mm), tzinfo=CET)


async def _habit(home: SmartHome, owner: str, device: str, days: tuple[int, ...]) -> str:
    """Register the device, report a change at 22:00 to 18 °C on each day; the suggestion id."""
    async with home.direct(owner) as devices:
        await devices.RegisterDevice(
            pb.RegisterDeviceRequest(
                owner_id=owner, device_id=device, claim_code=claim_code(home.home, device)
            )
        )
    last = 0
    for days_ago in days:
        last = await report(home.nc, device, 18.0, local(days_ago))
    await handled(home.nc, last)
    return f"sg-{device}-180-2200"


async def test_an_accepted_suggestion_reaches_the_device_on_its_own_subject(
    smart_home: SmartHome, unique: str
) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    suggestion_id = await _habit(smart_home, owner, device, (6, 4, 1))
    inbox = await smart_home.nc.subscribe(f"acme.devices.v1.device.{device}.schedule")
    async with smart_home.direct(owner) as devices:
        accepted = await devices.AcceptSuggestion(
            pb.AcceptSuggestionRequest(suggestion_id=suggestion_id)
        )
        assert accepted.suggestion.state == pb.SUGGESTION_STATE_ACCEPTED
        assert accepted.schedule.schedule_id == suggestion_id
        assert (accepted.schedule.setpoint_celsius, accepted.schedule.local_time) == (18.0, "22:00")
        received = await inbox.next_msg(timeout=5)
        schedule = json.loads(received.data)
        assert schedule == {
            "scheduleId": suggestion_id,
            "deviceId": device,
            "ownerId": owner,
            "setpointCelsius": 18.0,
            "localTime": "22:00",
            "createdAt": schedule["createdAt"],
        }
        assert (received.headers or {})["ce-id"] == f"schedule.{suggestion_id}"

        # Accepting again answers the same schedule; declining it now is refused.
        again = await devices.AcceptSuggestion(
            pb.AcceptSuggestionRequest(suggestion_id=suggestion_id)
        )
        assert again.schedule == accepted.schedule
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await devices.DeclineSuggestion(
                pb.DeclineSuggestionRequest(suggestion_id=suggestion_id)
            )
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        got = await devices.GetDevice(pb.GetDeviceRequest(device_id=device))
        assert list(got.device.schedules) == [accepted.schedule]
    await inbox.unsubscribe()


async def test_a_declined_suggestion_never_comes_back(smart_home: SmartHome, unique: str) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    suggestion_id = await _habit(smart_home, owner, device, (5, 4, 3))
    async with smart_home.direct(owner) as devices:
        declined = await devices.DeclineSuggestion(
            pb.DeclineSuggestionRequest(suggestion_id=suggestion_id)
        )
        assert declined.suggestion.state == pb.SUGGESTION_STATE_DECLINED
        # The habit goes on for three more days, slightly off (21:50, 18.5 °C).
        last = 0
        for days_ago in (2, 1, 0):
            last = await report(smart_home.nc, device, 18.5, local(days_ago, 21, 50))
        await handled(smart_home.nc, last)
        listed = await devices.ListSuggestions(pb.ListSuggestionsRequest(owner_id=owner))
        assert [(s.suggestion_id, s.state) for s in listed.suggestions] == [
            (suggestion_id, pb.SUGGESTION_STATE_DECLINED)
        ]
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await devices.AcceptSuggestion(pb.AcceptSuggestionRequest(suggestion_id=suggestion_id))
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_only_the_owner_sees_and_decides_a_suggestion(
    smart_home: SmartHome, unique: str
) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    suggestion_id = await _habit(smart_home, owner, device, (3, 2, 1))
    async with smart_home.direct(f"bob-{unique}") as devices:
        for call in (
            devices.AcceptSuggestion(pb.AcceptSuggestionRequest(suggestion_id=suggestion_id)),
            devices.DeclineSuggestion(pb.DeclineSuggestionRequest(suggestion_id=suggestion_id)),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await call
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await devices.ListSuggestions(pb.ListSuggestionsRequest(owner_id=owner))
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with smart_home.direct("staff", "devices:read", "devices:admin") as staff:
        listed = await staff.ListSuggestions(pb.ListSuggestionsRequest(owner_id=owner))
        assert [s.state for s in listed.suggestions] == [pb.SUGGESTION_STATE_PENDING]
