"""The registered devices, in the `devices` bucket.

Keys: `device.<deviceId>` (DeviceRecord JSON, with the device's accepted schedules) and the
per-owner index `owner.<ownerId>.<deviceId>` (empty). The index is written before the
device, so an interrupted registration leaves at most an index entry without a device,
which listings skip and the retry completes; listings also skip an index entry whose device
belongs to someone else (a refused registration of another owner's device id).
"""

from nats.js.kv import KeyValue

from accord import kvjson
from accord.kv import keys_matching
from services.devices.records import DeviceRecord, ScheduleRecord, now

BUCKET = "devices"


class DeviceNotFound(Exception):
    pass


class DeviceTaken(Exception):
    """The device id is registered to another owner."""


def _key(device_id: str) -> str:
    return f"device.{device_id}"


class Registry:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def register(self, owner_id: str, device_id: str, display_name: str) -> DeviceRecord:
        """The device, registered to `owner_id` now or before; DeviceTaken if it is another's."""
        existing = await self.find(device_id)
        if existing is not None and existing.owner_id != owner_id:
            raise DeviceTaken(device_id)
        await self._kv.put(f"owner.{owner_id}.{device_id}", b"")
        fresh = DeviceRecord(
            device_id=device_id, owner_id=owner_id, display_name=display_name, created_at=now()
        )
        stored = await kvjson.change(
            self._kv, _key(device_id), DeviceRecord, lambda current: current or fresh
        )
        assert stored is not None
        if stored.owner_id != owner_id:  # another owner won a race for the same id
            await self._kv.delete(f"owner.{owner_id}.{device_id}")
            raise DeviceTaken(device_id)
        return stored

    async def issue_secret(self, device_id: str, owner_id: str, secret_hash: str) -> None:
        """Keep the hash of the device's new NATS secret: the old one stops working."""

        def issue(current: DeviceRecord | None) -> DeviceRecord | None:
            if current is None or current.owner_id != owner_id:
                raise DeviceNotFound(device_id)
            return current.model_copy(update={"secret_hash": secret_hash})

        await kvjson.change(self._kv, _key(device_id), DeviceRecord, issue)

    async def find(self, device_id: str) -> DeviceRecord | None:
        found = await kvjson.read(self._kv, _key(device_id), DeviceRecord)
        return found[0] if found is not None else None

    async def of_owner(
        self, owner_id: str, page_size: int, after: str
    ) -> tuple[list[DeviceRecord], str | None]:
        """One page of the owner's devices in device id order, and the last key if more follow."""
        keys = sorted(k for k in await keys_matching(self._kv, f"owner.{owner_id}.*") if k > after)
        devices: list[DeviceRecord] = []
        last: str | None = None
        for key in keys:
            if len(devices) == page_size:
                return devices, last
            device = await self.find(key.rsplit(".", 1)[1])
            if device is not None and device.owner_id == owner_id:
                devices.append(device)
            last = key
        return devices, None

    async def add_schedule(self, device_id: str, schedule: ScheduleRecord) -> DeviceRecord:
        """The device with the schedule; adding a schedule it has already changes nothing."""

        def add(current: DeviceRecord | None) -> DeviceRecord | None:
            if current is None:
                raise DeviceNotFound(device_id)
            if any(s.schedule_id == schedule.schedule_id for s in current.schedules):
                return current
            return current.model_copy(update={"schedules": [*current.schedules, schedule]})

        stored = await kvjson.change(self._kv, _key(device_id), DeviceRecord, add)
        assert stored is not None
        return stored
