"""A consumer process for the kill -9 test: applies each event's effect once, by ce-id.

Run as `python -m tests.integration.events._crash_consumer URL UNIQUE EFFECTS` with the
generated kit package on PYTHONPATH.
"""

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

from accord.events import EventContext, EventSettings, connect
from tests.integration.events._support import renamed


def idempotent_effect(effects: Path) -> Any:
    """A handler whose effect (a line in `effects`) happens at most once per event id."""

    async def handle(ping: Any, event: EventContext) -> None:
        await asyncio.sleep(ping.seconds)  # the work, before the effect is recorded
        apply_once(effects, event.id)

    return handle


def apply_once(effects: Path, event_id: str) -> None:
    done = set(effects.read_text().split()) if effects.exists() else set()
    if event_id not in done:
        with effects.open("a") as out:
            out.write(event_id + "\n")


async def main(url: str, unique: str, effects: Path) -> None:
    kit = importlib.import_module("kit_events")
    nc = await connect(url)
    app = kit.Application(
        nc,
        settings=EventSettings(source="/kit/crash", require_handlers=False),
        contract=renamed(kit.CONTRACT, unique),
    )
    app.consumer.receive_slow(idempotent_effect(effects))
    await app.start()
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
