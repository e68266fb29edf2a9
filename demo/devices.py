"""Smart home journeys: a thermostat's habit becomes a suggestion in its owner's app.

The owner claims each thermostat with the code it carries and gets its NATS credentials;
the thermostat then connects as itself, publishes its reports on its own subject (JSON
payload, CloudEvents headers) and reads its schedule from its own subject. The owner's
side goes through the gateway with a token.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import nats
from acme.devices.v1 import devices_pb2 as pb
from acme.devices.v1 import devices_pb2_grpc as pb_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from nats.aio.client import Client as NatsClient

from accord.nats_auth import without_credentials
from accord.settings import CommonSettings
from accord.tooling.examples import customer_scopes
from demo.journeys import Demo
from demo.timeline import Timeline
from services.devices import claims

OWNER_SCOPES = customer_scopes()  # the owner's app, from the contracts' policies
ADJUSTED = "acme.devices.v1.thermostat.adjusted"  # the event type
DURABLE = "devices-device-adjusted"
CET = timezone(timedelta(hours=1))  # the owners live in UTC+1
WAIT = 10.0  # seconds: a bound for a broken platform, not how long things take


def _local(days_ago: int, hh: int, mm: int) -> datetime:
    return datetime.combine(date.today() - timedelta(days=days_ago), time(hh, mm), tzinfo=CET)


async def _report(
    nc: NatsClient, timeline: Timeline, device: str, celsius: float, at: datetime
) -> int:
    """The thermostat reports a manual change; the stream sequence it got."""
    stamp = at.isoformat()
    body = {"deviceId": device, "setpointCelsius": celsius, "occurredAt": stamp, "mode": "MANUAL"}
    headers = {
        "ce-id": f"{device}.{stamp}",
        "ce-source": f"/acme/thermostat/{device}",
        "ce-type": ADJUSTED,
        "ce-time": stamp,
        "ce-specversion": "1.0",
        "content-type": "application/json",
        "Nats-Msg-Id": f"{device}.{stamp}",
    }
    subject = f"acme.devices.v1.device.{device}.adjusted"
    ack = await nc.jetstream().publish(subject, json.dumps(body).encode(), headers=headers)
    timeline.note("thermostat", f"{device}: set by hand to {celsius} °C at {stamp}")
    return ack.seq


async def _until(probe: Callable[[], Awaitable[bool]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await probe():
        if loop.time() > deadline:
            raise TimeoutError("the platform did not get there in time")
        await asyncio.sleep(0.1)


async def _handled(nc: NatsClient, sequence: int) -> None:
    """Until the devices service has handled every report up to `sequence`."""

    async def settled() -> bool:
        info = await nc.jetstream().consumer_info("DEVICES", DURABLE)
        return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence

    await _until(settled)


async def _notices(inbox: "notes_grpc.NotificationServiceAsyncStub", owner: str) -> list[str]:
    listed = await inbox.ListNotifications(notes.ListNotificationsRequest(customer_id=owner))
    return [
        n.attributes["suggestionId"]
        for n in listed.notifications
        if n.event_type == "acme.devices.v1.suggestion"
    ]


@dataclass
class Home:
    """One owner's thermostat in a journey: the owner's app (devices, in-app notices) and
    the thermostat's own NATS connection."""

    demo: Demo
    timeline: Timeline
    devices: "pb_grpc.DeviceServiceAsyncStub"
    inbox: "notes_grpc.NotificationServiceAsyncStub"
    thermostat: NatsClient
    owner: str
    device: str

    async def repeat(self, days: tuple[int, ...], mm: int = 0) -> None:
        """The same manual change at 07:mm on each of these days ago; until it is handled."""
        last = 0
        for days_ago in days:
            at = _local(days_ago, 7, mm)
            last = await _report(self.thermostat, self.timeline, self.device, 21.0, at)
        await _handled(self.demo.nats, last)

    async def notices(self) -> list[str]:
        """The suggestions the owner was told of in the app."""
        return await _notices(self.inbox, self.owner)


async def _claim(
    demo: Demo,
    timeline: Timeline,
    devices: "pb_grpc.DeviceServiceAsyncStub",
    owner: str,
    device: str,
    name: str,
) -> NatsClient:
    """The owner claims the device with its code; the device connects as itself."""
    key = claims.development_claim_key(CommonSettings(home=demo.home))
    claimed = await devices.RegisterDevice(
        pb.RegisterDeviceRequest(
            owner_id=owner,
            device_id=device,
            display_name=name,
            claim_code=claims.claim_code(key, device),
        )
    )
    timeline.note("gateway", f"RegisterDevice {device} for {owner}: claimed, credentials issued")
    credentials = claimed.credentials
    return await nats.connect(
        servers=[without_credentials(server) for server in demo.nats_servers],
        name=device,
        user=credentials.user,
        password=credentials.secret,
        inbox_prefix=credentials.inbox_prefix,
    )


async def _in_a_room(
    demo: Demo,
    timeline: Timeline,
    customer: str,
    room: str,
    story: Callable[[Home], Awaitable[None]],
) -> None:
    """`customer` claims a thermostat for `room`; the story runs; the thermostat leaves."""
    owner = demo.customer(customer)
    device = f"{room.lower()}-{demo.run_id}"
    timeline.follow(owner, device)
    async with demo.channel(owner, *OWNER_SCOPES) as channel:
        devices = pb_grpc.DeviceServiceStub(channel)
        inbox = notes_grpc.NotificationServiceStub(channel)
        thermostat = await _claim(demo, timeline, devices, owner, device, room)
        try:
            await story(Home(demo, timeline, devices, inbox, thermostat, owner, device))
        finally:
            await thermostat.close()


async def habit_becomes_a_schedule(demo: Demo, timeline: Timeline) -> None:
    await _in_a_room(demo, timeline, "alice", "Hall", _hall)


async def _hall(home: Home) -> None:
    await home.repeat((3, 2, 1))

    async def told() -> bool:
        return bool(await home.notices())

    await _until(told)
    listed = await home.inbox.ListNotifications(
        notes.ListNotificationsRequest(customer_id=home.owner)
    )
    for note in listed.notifications:
        home.timeline.note("notifications", f"in-app: {note.title}")
    [suggestion_id] = await home.notices()
    schedules = await home.thermostat.subscribe(f"acme.devices.v1.device.{home.device}.schedule")
    try:
        accepted = await home.devices.AcceptSuggestion(
            pb.AcceptSuggestionRequest(suggestion_id=suggestion_id)
        )
        home.timeline.note("gateway", f"AcceptSuggestion {suggestion_id} → schedule made")
        received = json.loads((await schedules.next_msg(timeout=WAIT)).data)
    finally:
        await schedules.unsubscribe()
    home.timeline.note(
        "thermostat",
        f"{home.device} receives its schedule: every day at {received['localTime']} set "
        f"{received['setpointCelsius']} °C",
    )
    got = await home.devices.GetDevice(pb.GetDeviceRequest(device_id=home.device))
    home.timeline.note(
        "gateway",
        f"GetDevice shows {len(got.device.schedules)} schedule(s): "
        f"{accepted.schedule.local_time} at {accepted.schedule.setpoint_celsius} °C",
    )


async def two_days_then_declined(demo: Demo, timeline: Timeline) -> None:
    await _in_a_room(demo, timeline, "bob", "Study", _study)


async def _study(home: Home) -> None:
    await home.repeat((4, 3))
    listed = await home.devices.ListSuggestions(pb.ListSuggestionsRequest(owner_id=home.owner))
    home.timeline.note("devices", f"2 days of 7: {len(listed.suggestions)} suggestion(s)")
    await home.repeat((2,))
    [suggestion_id] = await home.notices()
    home.timeline.note("devices", f"3 days of 7: suggestion {suggestion_id}, told in the app")
    await home.devices.DeclineSuggestion(pb.DeclineSuggestionRequest(suggestion_id=suggestion_id))
    home.timeline.note("gateway", f"DeclineSuggestion {suggestion_id}")
    await home.repeat((1, 0), mm=10)
    listed = await home.devices.ListSuggestions(pb.ListSuggestionsRequest(owner_id=home.owner))
    states = [pb.SuggestionState.Name(s.state) for s in listed.suggestions]
    told = await home.notices()
    home.timeline.note(
        "devices", f"the habit goes on: suggestions {states}, {len(told)} notice in the app"
    )


JOURNEYS: list[tuple[str, Callable[[Demo, Timeline], Awaitable[None]]]] = [
    ("Smart home: a thermostat habit becomes a daily schedule", habit_becomes_a_schedule),
    ("Smart home: two days are no habit; a declined suggestion stays away", two_days_then_declined),
]
