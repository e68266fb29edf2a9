"""The devices service as the platform runs it (accord.skeleton): its registry, habits and
suggestions, the adjustment consumer, the auth callout for devices, its gateway client."""

from acme.devices.v1 import devices_pb2 as pb
from acme.devices.v1 import devices_pb2_grpc as pb_grpc
from acme_events.devices import CONTRACT, Application

from accord.events import Contract
from accord.nats_auth import development_seed, issuer_identity
from accord.retry_policy import with_retry_policy
from accord.skeleton import Api, Parts, Service
from services.devices import claims, handlers, history, registry, suggestions
from services.devices.identities import DeviceAuthorizer
from services.devices.notifier import SCOPES, Notifier
from services.devices.schedules import ScheduleSender
from services.devices.servicer import DeviceServiceV1
from services.devices.settings import DevicesSettings

API = Api.named("DeviceService", pb, pb_grpc)

NAME = "devices"
# Reports from devices as themselves, and those stored before devices were identities.
ADJUSTED = ("receiveDeviceAdjusted", "receiveThermostatAdjusted")


def contract(settings: DevicesSettings) -> Contract:
    """The generated contract, with the adjustment retry policy the settings override (tests
    use short delays; production keeps the contract's)."""
    return with_retry_policy(
        CONTRACT, ADJUSTED, settings.adjustment_retry_delays, settings.adjustment_max_deliveries
    )


async def assemble(parts: Parts[DevicesSettings, Application]) -> list[object]:
    settings, js, events = parts.settings, parts.js, parts.events
    claim_key, issuer_seed = _claim_key(settings), _issuer_seed(settings)
    devices = registry.Registry(await js.key_value(registry.BUCKET))
    habits = history.History(await js.key_value(history.BUCKET))
    proposals = suggestions.Suggestions(await js.key_value(suggestions.BUCKET))
    notifier = Notifier(parts.gateway(), settings.notify_timeout_seconds)
    handlers.register(events, devices, habits, proposals, notifier)
    # Devices connect as themselves: the server asks this service about each of them.
    authorizer = DeviceAuthorizer(parts.nc, devices, issuer_seed)
    await authorizer.start()
    parts.on_stop(authorizer.stop, before_events=True)
    servicer = DeviceServiceV1(
        registry=devices,
        suggestions=proposals,
        schedules=ScheduleSender(events),
        access=parts.access(),
        claim_key=claim_key,
    )
    return [servicer]


def _claim_key(settings: DevicesSettings) -> bytes:
    if settings.claim_key_file is not None:
        return claims.load_claim_key(settings.claim_key_file)
    if not settings.development:
        raise RuntimeError("no claim key: set ACCORD_DEVICES_CLAIM_KEY_FILE")
    return claims.development_claim_key(settings)


def _issuer_seed(settings: DevicesSettings) -> str:
    if settings.nats_issuer_seed_file is not None:
        return settings.nats_issuer_seed_file.read_text().strip()
    if not settings.development:
        raise RuntimeError("no issuer key for devices: set ACCORD_DEVICES_NATS_ISSUER_SEED_FILE")
    return development_seed(settings, issuer_identity(NAME))


SERVICE = Service(
    NAME, DevicesSettings, (API,), Application, assemble, gateway_scopes=SCOPES, contract=contract
)
