"""The recent manual adjustments of each device, which the habit rule reads.

One record per device, `history.<deviceId>` in the `devices_habits` bucket, changed by
compare-and-set: reports of one device handled at the same time each re-read and re-apply
on a lost race, so the last to be stored sees every earlier one (and finds the habit).

An adjustment is identified by its instant (a device makes one change at a time), not by
its event id: a redelivered report, or the same report published again under a new id,
is recorded once. What is kept is bounded: entries more than two spans of the habit rule
before the newest day can no longer share a window with any report still to come in
order, and at most MAX_ENTRIES (the newest) are kept for a device changed very often.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js.kv import KeyValue

from accord import kvjson
from services.devices.habits import RULE, Adjustment
from services.devices.records import HistoryEntry, HistoryRecord

BUCKET = "devices_habits"
MAX_ENTRIES = 500
KEEP_DAYS = 2 * RULE.span_days


@dataclass(frozen=True, slots=True)
class History:
    kv: KeyValue

    async def record(
        self, device_id: str, at: datetime, adjustment: Adjustment
    ) -> list[Adjustment]:
        """Record the adjustment (once); every adjustment kept for the device, itself included."""
        entry = HistoryEntry(
            at=at,
            setpoint_tenths=adjustment.setpoint_tenths,
            day=adjustment.day,
            minute=adjustment.minute,
        )

        def add(current: HistoryRecord | None) -> HistoryRecord:
            entries = current.entries if current is not None else []
            if any(e.at == at for e in entries):
                return current or HistoryRecord(entries=entries)
            kept = sorted([*entries, entry], key=lambda e: e.at)[-MAX_ENTRIES:]
            newest = max(e.day for e in kept)
            kept = [e for e in kept if e.day > newest - timedelta(days=KEEP_DAYS)]
            return HistoryRecord(entries=kept)

        stored = await kvjson.change(self.kv, f"history.{device_id}", HistoryRecord, add)
        entries = stored.entries if stored is not None else [entry]
        return [Adjustment(e.setpoint_tenths, e.day, e.minute) for e in entries]
