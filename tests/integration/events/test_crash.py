"""A consumer killed with kill -9 mid-batch loses nothing and applies nothing twice.

This kills a client process, not a server: it says nothing of disk durability (an
acknowledged publish sits in the page cache, which survives a process kill).
"""

import asyncio
import os
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.events import Contract, EventSettings, provision
from accord.tooling.nats_server import NatsServer
from tests.integration.events._crash_consumer import idempotent_effect
from tests.integration.events._support import eventually

pytestmark = pytest.mark.integration

EVENTS = 30


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


async def test_a_killed_consumer_is_replaced_without_loss_or_double_effects(
    kit: ModuleType,
    nats_server: NatsServer,
    nats_client: NatsClient,
    jetstream: JetStreamContext,
    kit_contract: Contract,
    unique: str,
    repo_root: Path,
    tmp_path: Path,
) -> None:
    await provision(jetstream, [kit_contract])
    settings = EventSettings(source="/kit", require_handlers=False)
    app: Any = kit.Application(nats_client, settings=settings, contract=kit_contract)
    for i in range(EVENTS):
        await app.producer.send_slow(kit.messages.json.Ping(seconds=0.05), event_id=f"e{i}")

    effects = tmp_path / "effects"
    assert kit.__file__ is not None
    kit_path = str(Path(kit.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo_root), kit_path])}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.events._crash_consumer",
        nats_server.url,
        unique,
        str(effects),
        cwd=repo_root,
        env=env,
    )
    try:
        await eventually(lambda: len(lines(effects)) >= 8, timeout=20)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    at_kill = len(lines(effects))

    app.consumer.receive_slow(idempotent_effect(effects))
    async with app:
        await eventually(lambda: len(lines(effects)) >= EVENTS, timeout=20)
        await asyncio.sleep(0.3)  # a late duplicate effect would show here

    applied = lines(effects)
    print(f"events {EVENTS}, effects at kill {at_kill}, effects {len(applied)}")
    assert sorted(applied) == sorted(f"e{i}" for i in range(EVENTS))
