"""A thermostat: its claim code, its reports, and waiting until devices handled them.

Shared by the integration and end-to-end tests of the devices service. `report` publishes
on the device's own subject with its `ce-source`, on the connection it is given: the
device's own (`connect_device`, with the credentials its claim issued), or the developer's.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import nats
from acme.devices.v1 import devices_pb2 as pb
from nats.aio.client import Client as NatsClient

from accord.settings import CommonSettings
from services.devices import claims
from tests.support.waiting import eventually

EVENT_TYPE = "acme.devices.v1.thermostat.adjusted"
DURABLE = "devices-device-adjusted"
DEAD_LETTERS = "acme.devices.v1.deadletter.device-adjusted"


async def report(
    nc: NatsClient,
    device_id: str,
    celsius: float,
    occurred_at: datetime,
    mode: str = "MANUAL",
    event_id: str | None = None,
) -> int:
    """Publish a thermostat's report as any NATS client can: JSON and CloudEvents headers.
    Returns its stream sequence, for `handled`."""
    stamp = occurred_at.isoformat()
    event_id = event_id or f"{device_id}.{stamp}"
    body: dict[str, Any] = {
        "deviceId": device_id,
        "setpointCelsius": celsius,
        "occurredAt": stamp,
        "mode": mode,
    }
    headers = {
        "ce-id": event_id,
        "ce-source": f"/acme/thermostat/{device_id}",
        "ce-type": EVENT_TYPE,
        "ce-time": stamp,
        "ce-specversion": "1.0",
        "content-type": "application/json",
        "Nats-Msg-Id": event_id,
    }
    subject = adjusted_subject(device_id)
    ack = await nc.jetstream().publish(subject, json.dumps(body).encode(), headers=headers)
    return ack.seq


def adjusted_subject(device_id: str) -> str:
    return f"acme.devices.v1.device.{device_id}.adjusted"


def claim_code(home: Path, device_id: str) -> str:
    """The code printed on the device (the development claim key under `home`)."""
    key = claims.development_claim_key(CommonSettings(home=home))
    return claims.claim_code(key, device_id)


async def connect_device(url: str, credentials: pb.DeviceCredentials, **options: Any) -> NatsClient:
    """The device's own connection, with the credentials its claim issued."""
    return await nats.connect(
        url,
        user=credentials.user,
        password=credentials.secret,
        inbox_prefix=credentials.inbox_prefix,
        allow_reconnect=False,
        **options,
    )


async def handled(nc: NatsClient, sequence: int) -> None:
    """Wait until the devices consumer has settled every report up to `sequence` (acked,
    or dead-lettered): what it did about them is then in its state."""

    async def settled() -> bool:
        info = await nc.jetstream().consumer_info("DEVICES", DURABLE)
        return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence

    await eventually(settled)
