"""A service's own way to another service: through the gateway, with the service's API key.

Services do not call each other directly. Going through the front door means the callee
sees a principal the gateway verified (`svc-<name>` with the scopes its key holds), its
contract's policy decides what the caller may do, and every call is logged and counted like
any client's. A service asks for the scopes it needs; in development its key is created under
ACCORD_HOME with exactly those, in production it comes from `<PREFIX>GATEWAY_API_KEY`.

Calls made from event handlers should pass a timeout and `wait_for_ready=True` (the gateway
may start after the service), and let a failure raise, so the event is retried.
"""

from collections.abc import Iterable

import grpc

from accord import devkeys
from accord.call_metadata import channel_with_metadata
from accord.settings import ServiceSettings

API_KEY_HEADER = "x-api-key"


class GatewayClient:
    """A channel to the gateway whose every call carries the service's API key."""

    def __init__(self, channel: grpc.aio.Channel, subject: str) -> None:
        self.channel = channel
        self.subject = subject

    @classmethod
    def open(
        cls, settings: ServiceSettings, service: str, scopes: Iterable[str]
    ) -> "GatewayClient":
        if settings.gateway_api_key is not None:
            api_key = settings.gateway_api_key.get_secret_value()
        else:
            api_key = devkeys.ensure_service_api_key(settings.home, service, scopes)
        metadata = [(API_KEY_HEADER, api_key)]
        channel = channel_with_metadata(settings.gateway_address, lambda method: metadata)
        return cls(channel, devkeys.service_subject(service))

    async def close(self) -> None:
        await self.channel.close()
