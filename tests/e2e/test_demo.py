"""`make demo` against the end-to-end platform: every journey runs to its end and its timeline
shows what the platform did. A journey that stops working fails here, not in front of people."""

import uuid

import nats
import pytest

from demo.__main__ import ALL_JOURNEYS
from demo.journeys import Demo
from demo.timeline import Timeline
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("title", "journey"), ALL_JOURNEYS, ids=[t for t, _ in ALL_JOURNEYS])
async def test_the_journey_runs_and_its_timeline_shows_events(
    platform: Platform, title: str, journey: object, capsys: pytest.CaptureFixture[str]
) -> None:
    nc = await nats.connect(platform.nats_url)
    demo = Demo(
        channel=platform.channel,
        run_id=uuid.uuid4().hex[:6],
        nats=nc,
        home=platform.home,
        nats_servers=[platform.nats_url],
    )
    timeline = Timeline(title)
    try:
        await timeline.start(nc)
        await journey(demo, timeline)  # type: ignore[operator]
    finally:
        await timeline.stop()
        await nc.drain()
    printed = capsys.readouterr().out
    lines = printed[printed.index(f"== {title}") :].splitlines()
    assert len(lines) > 3, printed
