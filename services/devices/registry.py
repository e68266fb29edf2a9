"""The registered devices, in the `devices` bucket.

Keys: `device.<deviceId>` (DeviceRecord JSON, with the device's accepted schedules) and the
per-owner index `owner.<ownerId>.<deviceId>` (empty). The index is written before the
device, so an interrupted registration leaves at most an index entry without a device,
which listings skip and the retry completes; listings also skip an index entry whose device
belongs to someone else (a refused registration of another owner's device id).
"""

import contextlib
from dataclasses import dataclass

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson
from services.devices.owners import OwnerIndex, index_key
from services.devices.records import DeviceRecord, ScheduleRecord, now

BUCKET = "devices"


class DeviceNotFound(Exception):
    pass


class DeviceTaken(Exception):
    """The device id is registered to another owner."""


def _key(device_id: str) -> str:
    return f"device.{device_id}"


@dataclass(frozen=True, slots=True)
class Registry:
    kv: KeyValue

    async def register(self, owner_id: str, device_id: str, display_name: str) -> DeviceRecord:
        """The device, registered to `owner_id` now or before; DeviceTaken if it is another's."""
        existing = await self.find(device_id)
        if existing is not None and existing.owner_id != owner_id:
            raise DeviceTaken(device_id)
        # Written once: a repeat keeps the device's place in its owner's list.
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.create(index_key(owner_id, device_id), b"")
        fresh = DeviceRecord(
            device_id=device_id, owner_id=owner_id, display_name=display_name, created_at=now()
        )
        stored = await kvjson.change(
            self.kv, _key(device_id), DeviceRecord, lambda current: current or fresh
        )
        assert stored is not None
        if stored.owner_id != owner_id:  # another owner won a race for the same id
            await self.kv.delete(index_key(owner_id, device_id))
            raise DeviceTaken(device_id)
        return stored

    async def issue_secret(self, device_id: str, owner_id: str, secret_hash: str) -> None:
        """Keep the hash of the device's new NATS secret: the old one stops working."""

        def issue(current: DeviceRecord | None) -> DeviceRecord | None:
            if current is None or current.owner_id != owner_id:
                raise DeviceNotFound(device_id)
            return current.model_copy(update={"secret_hash": secret_hash})

        await kvjson.change(self.kv, _key(device_id), DeviceRecord, issue)

    async def find(self, device_id: str) -> DeviceRecord | None:
        found = await kvjson.read(self.kv, _key(device_id), DeviceRecord)
        return found[0] if found is not None else None

    async def of_owner(
        self, owner_id: str, page_size: int, after: int
    ) -> tuple[list[DeviceRecord], int | None]:
        """One page of the owner's devices in the order they were registered."""
        return await OwnerIndex(self.kv, self.find).page(owner_id, page_size, after)

    async def add_schedule(self, device_id: str, schedule: ScheduleRecord) -> DeviceRecord:
        """The device with the schedule; adding a schedule it has already changes nothing."""

        def add(current: DeviceRecord | None) -> DeviceRecord | None:
            if current is None:
                raise DeviceNotFound(device_id)
            if any(s.schedule_id == schedule.schedule_id for s in current.schedules):
                return current
            return current.model_copy(update={"schedules": [*current.schedules, schedule]})

        stored = await kvjson.change(self.kv, _key(device_id), DeviceRecord, add)
        assert stored is not None
        return stored
