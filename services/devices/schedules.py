"""Sending a schedule to its device, on the device's own subject.

Each device reads `acme.devices.v1.device.<deviceId>.schedule` (the DEVICES_SCHEDULES
stream keeps it for a month, for a device that was offline): the channel's `deviceId`
parameter, which the generated producer reads from the payload. The event id is
`schedule.<scheduleId>`: an AcceptSuggestion retried after an interrupted call sends the
schedule again, and JetStream stores it once.
"""

from dataclasses import dataclass

from acme_events.devices import Application
from acme_events.devices.messages.json import DeviceSchedulePayload

from services.devices.records import ScheduleRecord, local_time

SUBJECT = "acme.devices.v1.device.{device_id}.schedule"
OPERATION = "sendDeviceSchedule"


def subject_of(device_id: str) -> str:
    return SUBJECT.format(device_id=device_id)


def event_id(schedule_id: str) -> str:
    return f"schedule.{schedule_id}"


@dataclass(frozen=True, slots=True)
class ScheduleSender:
    events: Application

    async def send(self, device_id: str, owner_id: str, schedule: ScheduleRecord) -> None:
        payload = DeviceSchedulePayload(
            schedule_id=schedule.schedule_id,
            device_id=device_id,
            owner_id=owner_id,
            setpoint_celsius=schedule.setpoint_tenths / 10,
            local_time=local_time(schedule.minute),
            created_at=schedule.created_at,
        )
        await self.events.producer.send_device_schedule(
            payload, event_id=event_id(schedule.schedule_id), time=schedule.created_at
        )
