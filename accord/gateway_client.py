"""A service's own way to another service: through the gateway, with the service's API key.

Services do not call each other directly. Going through the front door means the callee
sees a principal the gateway verified (`svc-<name>` with the scopes its key holds), its
contract's policy decides what the caller may do, and every call is logged and counted like
any client's. A service names the scopes it needs in its app's GATEWAY_SCOPES; in
development `make run` (and the tests) make its key with exactly those under ACCORD_HOME
before it starts (accord.tooling.devkeys); in production it comes from
`<PREFIX>GATEWAY_API_KEY`, and a service without one refuses to start.

Calls made from event handlers should pass a timeout and `wait_for_ready=True` (the gateway
may start after the service) and run inside `refusals_are_final(...)`: a failure that may
pass (UNAVAILABLE, a deadline, a limit) raises as it is, so the event is retried with the
contract's backoff; a refusal that no retry can change (INVALID_ARGUMENT, ...) becomes
`Unprocessable`, so the event is dead-lettered at once with the callee's answer as reason.
"""

import contextlib
from collections.abc import Iterator

import grpc

from accord.call_metadata import channel_with_metadata
from accord.events import Unprocessable
from accord.keys import service_key_path, service_subject
from accord.settings import ConfigurationError, ServiceSettings, production_needs

# Answers that say "this request, as it is, will never succeed". Authentication and
# permission failures are not among them: an operator fixes a key or a scope, and the
# retried event then goes through.
FINAL_REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)

API_KEY_HEADER = "x-api-key"


class GatewayClient:
    """A channel to the gateway whose every call carries the service's API key."""

    def __init__(self, channel: grpc.aio.Channel, subject: str) -> None:
        self.channel = channel
        self.subject = subject

    @classmethod
    def open(cls, settings: ServiceSettings, service: str) -> "GatewayClient":
        if settings.gateway_api_key is not None:
            api_key = settings.gateway_api_key.get_secret_value()
        elif settings.development and service_key_path(settings.home, service).exists():
            api_key = service_key_path(settings.home, service).read_text().strip()
        elif settings.development:
            raise ConfigurationError(
                f"{service} calls other services through the gateway, and its development "
                f"API key {service_key_path(settings.home, service)} does not exist: `make "
                "run` makes it from the service's GATEWAY_SCOPES (accord.tooling.devkeys)"
            )
        else:
            raise production_needs(
                settings.gateway_api_key_variable,
                f"{service} calls other services through the gateway with its own API key",
            )
        metadata = [(API_KEY_HEADER, api_key)]
        channel = channel_with_metadata(settings.gateway_address, lambda method: metadata)
        return cls(channel, service_subject(service))

    async def close(self) -> None:
        await self.channel.close()


@contextlib.contextmanager
def refusals_are_final(what: str) -> Iterator[None]:
    """Turn a final refusal of the call inside into `Unprocessable` naming `what` failed."""
    try:
        yield
    except grpc.aio.AioRpcError as error:
        if error.code() in FINAL_REFUSALS:
            raise Unprocessable(f"{what}: {error.code().name}: {error.details()}") from error
        raise
