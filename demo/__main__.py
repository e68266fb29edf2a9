"""`make demo`: run every journey against the platform `make run` started, and print timelines."""

import asyncio
import sys
import uuid

import grpc
import nats

from accord.auth import AuthSettings
from accord.call_metadata import channel_with_metadata
from accord.nats_auth import DEVELOPER, development_password
from accord.settings import CommonSettings
from accord.tooling import devkeys
from demo import devices, marketing, pricing, support
from demo.journeys import JOURNEYS, Channel, Demo
from demo.timeline import Timeline
from gateway.settings import GatewaySettings

# The purchase and banking journeys first, then real-time engagement, one scenario at a time.
ALL_JOURNEYS = [
    *JOURNEYS,
    *marketing.JOURNEYS,
    *support.JOURNEYS,
    *pricing.JOURNEYS,
    *devices.JOURNEYS,
]


def _channel_factory(address: str, settings: AuthSettings) -> Channel:
    def channel(subject: str, *scopes: str) -> grpc.aio.Channel:
        token = devkeys.mint_token(
            subject, scopes, issuer=settings.issuer, audience=settings.audience, home=settings.home
        )
        bearer = [("authorization", f"Bearer {token}")]
        return channel_with_metadata(address, lambda method: bearer)

    return channel


async def main() -> int:
    common, gateway = CommonSettings(), GatewaySettings()
    try:
        servers = common.resolved_nats_servers()
    except RuntimeError as missing:
        print(f"make demo needs a running platform: {missing}", file=sys.stderr)
        return 1
    # The demo watches every event, and acts as apps and devices do: the developer's
    # identity (development only); each thermostat then connects as itself.
    password = development_password(common, DEVELOPER)
    nc = await nats.connect(servers=servers, name="accord-demo", user=DEVELOPER, password=password)
    address = gateway.listen
    demo = Demo(
        channel=_channel_factory(address, gateway.auth),
        run_id=uuid.uuid4().hex[:6],
        nats=nc,
        home=common.home,
        nats_servers=servers,
    )
    try:
        for title, journey in ALL_JOURNEYS:
            timeline = Timeline(title)
            await timeline.start(nc)
            try:
                await journey(demo, timeline)
            except grpc.aio.AioRpcError as failed:
                timeline.note("gateway", f"{failed.code().name}: {failed.details()}")
            finally:
                await asyncio.sleep(0.2)  # the last events of the journey
                await timeline.stop()
    finally:
        await nc.drain()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
