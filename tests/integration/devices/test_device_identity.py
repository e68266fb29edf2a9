"""A thermostat is a NATS identity of its own: claimed with its code, it connects with the
credentials the claim issued, may report on its own subject and read its own schedules,
and nothing else; the devices service refuses reports that name another device or source.
"""

import asyncio
import json
from datetime import UTC, datetime

import nats
import nats.errors
import pytest
from acme.devices.v1 import devices_pb2 as pb
from nats.aio.client import Client as NatsClient

from tests.integration.devices.conftest import SmartHome
from tests.integration.devices.thermostat import (
    DEAD_LETTERS,
    adjusted_subject,
    claim_code,
    connect_device,
    handled,
    report,
)
from tests.support.bus import dead_letter_reason
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


async def _claim(home: SmartHome, owner: str, device: str) -> pb.DeviceCredentials:
    async with home.direct(owner) as devices:
        claimed = await devices.RegisterDevice(
            pb.RegisterDeviceRequest(
                owner_id=owner, device_id=device, claim_code=claim_code(home.home, device)
            )
        )
    assert claimed.credentials.user == device
    assert claimed.credentials.inbox_prefix == f"_INBOX.thermostat.{device}"
    return claimed.credentials


class Refusals:
    """The permission violations a connection's server reported (nats-py: lower case)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def record(self, error: Exception) -> None:
        self.texts.append(str(error))

    def of(self, actions: list[tuple[str, str]]) -> set[tuple[str, str]]:
        return {
            (kind, subject)
            for kind, subject in actions
            if any(f'{kind} to "{subject.lower()}"' in text for text in self.texts)
        }


async def _violations(
    nc: NatsClient, refusals: Refusals, actions: list[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Publish or subscribe as `nc`, and which of these the server refused."""
    for kind, subject in actions:
        if kind == "publish":
            await nc.publish(subject, b"{}")
        else:
            await nc.subscribe(subject)
    await nc.flush()
    for _ in range(50):
        if len(refusals.of(actions)) == len(actions):
            break
        await asyncio.sleep(0.05)
    await nc.flush()
    return refusals.of(actions)


async def test_a_claimed_device_reports_on_its_own_subject_only(
    smart_home: SmartHome, unique: str
) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    credentials = await _claim(smart_home, owner, device)
    refusals = Refusals()
    thermostat = await connect_device(
        smart_home.server.address, credentials, error_cb=refusals.record
    )
    try:
        # Its own report is stored and handled.
        sequence = await report(thermostat, device, 20.5, datetime.now(UTC))
        await handled(smart_home.nc, sequence)
        # Its own schedules it may read; nothing else.
        own_schedules = f"acme.devices.v1.device.{device}.schedule"
        await thermostat.subscribe(own_schedules)
        refused = [
            ("publish", adjusted_subject(f"other-{unique}")),
            ("publish", own_schedules),
            ("publish", "acme.shipping.v1.shipment.scheduled"),
            ("publish", "$JS.API.STREAM.INFO.DEVICES"),
            ("publish", "$KV.devices.device.x"),
            ("subscription", f"acme.devices.v1.device.other-{unique}.schedule"),
            ("subscription", "acme.devices.v1.device.*.adjusted"),
            ("subscription", "_INBOX.devices.>"),
        ]
        assert await _violations(thermostat, refusals, refused) == set(refused)
        # ... and everything it did of its own went through.
        assert len(refusals.texts) == len(refused), refusals.texts
    finally:
        await thermostat.close()


async def test_a_wrong_secret_an_unknown_device_and_a_replaced_secret_are_refused(
    smart_home: SmartHome, unique: str
) -> None:
    owner, device = f"ann-{unique}", f"t-{unique}"
    first = await _claim(smart_home, owner, device)
    address = smart_home.server.address
    for user, secret in ((device, "wrong"), (f"unknown-{unique}", first.secret), ("", "")):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(address, user=user, password=secret, allow_reconnect=False)
    # Claiming it again (the same owner) issues new credentials; the old ones stop working.
    second = await _claim(smart_home, owner, device)
    assert second.secret != first.secret
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await connect_device(address, first)
    thermostat = await connect_device(address, second)
    await thermostat.close()


async def _dead_letter_reason(nc: NatsClient, event_id: str) -> str:
    return await eventually(lambda: dead_letter_reason(nc, DEAD_LETTERS, event_id))


async def test_a_report_naming_another_device_or_source_is_dead_lettered(
    smart_home: SmartHome, unique: str
) -> None:
    """Even through a connection allowed on the subject (here the developer's), the payload
    and the source must be the subject's device's."""
    owner, device, other = f"ann-{unique}", f"t-{unique}", f"u-{unique}"
    await _claim(smart_home, owner, device)
    stamp = datetime.now(UTC).isoformat()
    body = {"deviceId": other, "setpointCelsius": 19.0, "occurredAt": stamp, "mode": "MANUAL"}
    headers = {
        "ce-id": f"forged-{unique}",
        "ce-source": f"/acme/thermostat/{device}",
        "ce-type": "acme.devices.v1.thermostat.adjusted",
        "ce-time": stamp,
        "ce-specversion": "1.0",
        "content-type": "application/json",
    }
    js = smart_home.nc.jetstream()
    await js.publish(adjusted_subject(device), json.dumps(body).encode(), headers=headers)
    body["deviceId"] = device
    headers["ce-id"], headers["ce-source"] = f"spoofed-{unique}", "/acme/payments"
    await js.publish(adjusted_subject(device), json.dumps(body).encode(), headers=headers)

    assert await _dead_letter_reason(smart_home.nc, f"forged-{unique}") == (
        f"provenance: the payload's 'deviceId' is not the subject's deviceId '{device}'"
    )
    assert await _dead_letter_reason(smart_home.nc, f"spoofed-{unique}") == (
        "provenance: ce-source '/acme/payments' is not the channel's owner "
        f"'/acme/thermostat/{device}'"
    )
