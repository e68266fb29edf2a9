"""What the devices service stores, as JSON in its key-value buckets, and how it reads out.

Setpoints are whole tenths of a degree Celsius (integers); times are UTC, except the local
days and minutes of the owner's adjustments, which the habit rule compares as lived.
"""

from datetime import UTC, date, datetime
from enum import StrEnum

from acme.devices.v1 import devices_pb2 as pb
from pydantic import BaseModel

from accord.timestamps import timestamp


class ScheduleRecord(BaseModel):
    schedule_id: str  # the suggestion's id
    setpoint_tenths: int
    minute: int  # of the device's local day
    created_at: datetime


class DeviceRecord(BaseModel):
    device_id: str
    owner_id: str
    display_name: str = ""
    created_at: datetime
    schedules: list[ScheduleRecord] = []
    secret_hash: str | None = None
    """SHA-256 of the device's NATS secret, issued when it was last claimed."""


class State(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class SuggestionRecord(BaseModel):
    suggestion_id: str
    device_id: str
    owner_id: str
    setpoint_tenths: int
    minute: int
    days: list[date]
    state: State = State.PENDING
    notified: bool = False  # the owner's app was told (SendNotification answered)
    created_at: datetime
    decided_at: datetime | None = None


class HistoryEntry(BaseModel):
    """One manual adjustment the habit rule reads; `at` (its instant) identifies it."""

    at: datetime
    setpoint_tenths: int
    day: date
    minute: int


class HistoryRecord(BaseModel):
    entries: list[HistoryEntry] = []


def now() -> datetime:
    return datetime.now(UTC)


def local_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def schedule_pb(device_id: str, schedule: ScheduleRecord) -> pb.Schedule:
    return pb.Schedule(
        schedule_id=schedule.schedule_id,
        device_id=device_id,
        setpoint_celsius=schedule.setpoint_tenths / 10,
        local_time=local_time(schedule.minute),
        create_time=timestamp(schedule.created_at),
    )


def device_pb(device: DeviceRecord) -> pb.Device:
    return pb.Device(
        device_id=device.device_id,
        owner_id=device.owner_id,
        display_name=device.display_name,
        create_time=timestamp(device.created_at),
        schedules=[schedule_pb(device.device_id, s) for s in device.schedules],
    )


def suggestion_pb(suggestion: SuggestionRecord) -> pb.Suggestion:
    message = pb.Suggestion(
        suggestion_id=suggestion.suggestion_id,
        device_id=suggestion.device_id,
        owner_id=suggestion.owner_id,
        setpoint_celsius=suggestion.setpoint_tenths / 10,
        local_time=local_time(suggestion.minute),
        days=[day.isoformat() for day in suggestion.days],
        state=pb.SuggestionState.Value(f"SUGGESTION_STATE_{suggestion.state.value}"),
        create_time=timestamp(suggestion.created_at),
    )
    if suggestion.decided_at is not None:
        message.decide_time.CopyFrom(timestamp(suggestion.decided_at))
    return message
