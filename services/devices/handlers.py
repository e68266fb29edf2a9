"""What devices does with each thermostat report.

1. The device must be registered. A report of an unknown device raises, so it is retried
   with the contract's backoff (its owner may be registering it at this moment: a new
   thermostat often reports before the app has finished adding it) and, when the deliveries
   are exhausted, dead-lettered to DEVICES_DEADLETTER with the reason in
   `accord-dead-letter-reason` ("... UnknownDevice('device x is not registered')"). So no
   report is dropped silently, and one can be replayed once its device is registered.
2. Only MANUAL changes make habits; a SCHEDULED change is the automation itself, and is
   acknowledged without being recorded.
3. The change is recorded once (history.py), then the habit rule (habits.py) runs over the
   device's recent changes. A habit gets one suggestion, ever (suggestions.py); a new
   pending one is told to the owner (notifier.py), then marked as told. If telling fails,
   the report is retried, and the retry finds the suggestion untold and tells it.

Reports of one device are handled one at a time in this process (the consumer handles up
to `fetchBatch` reports at once, of any devices): two reports completing the same habit at
once would otherwise both find no suggestion and might each make one, in neighbouring
buckets. Across several instances the compare-and-set writes keep the state consistent;
the worst case left there is that rare pair of neighbouring suggestions.
"""

import asyncio
import weakref

from acme_events.devices import Application
from acme_events.devices.messages.json import AdjustmentMode, ThermostatAdjustedPayload

from accord.events import EventContext
from services.devices.habits import habit_of, local_adjustment
from services.devices.history import History
from services.devices.notifier import Notifier
from services.devices.registry import Registry
from services.devices.suggestions import Suggestions


class UnknownDevice(Exception):
    def __init__(self, device_id: str) -> None:
        super().__init__(f"device {device_id} is not registered")


def register(
    app: Application,
    registry: Registry,
    history: History,
    suggestions: Suggestions,
    notifier: Notifier,
) -> None:
    # One lock per device with reports in flight, dropped once no report of it holds it.
    locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # Reports from devices as themselves, and those stored before devices were identities.
    @app.consumer.receive_thermostat_adjusted
    @app.consumer.receive_device_adjusted
    async def adjusted(report: ThermostatAdjustedPayload, event: EventContext) -> None:
        device = await registry.find(report.device_id)
        if device is None:
            raise UnknownDevice(report.device_id)
        if report.mode is not AdjustmentMode.MANUAL:
            return
        lock = locks.get(device.device_id)
        if lock is None:
            lock = locks[device.device_id] = asyncio.Lock()
        async with lock:
            new = local_adjustment(report.setpoint_celsius, report.occurred_at)
            recent = await history.record(device.device_id, report.occurred_at, new)
            habit = habit_of(new, recent)
            if habit is None:
                return
            proposal = await suggestions.propose(device, habit)
            if proposal.notify:
                await notifier.suggest(device, proposal.suggestion)
                await suggestions.notified(proposal.suggestion.suggestion_id)
