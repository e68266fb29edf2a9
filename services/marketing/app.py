"""Wiring of the marketing service: its events, its buckets, its way to notifications."""

from acme.marketing.v1 import marketing_pb2 as pb
from acme.marketing.v1 import marketing_pb2_grpc as pb_grpc
from acme_events.marketing import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.gateway_client import GatewayClient
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.marketing import handlers
from services.marketing.notifier import SCOPES, Notifier
from services.marketing.recommender import Recommender, utc_now
from services.marketing.rules import Rules
from services.marketing.servicer import ADMIN_SCOPE, MarketingServiceV1
from services.marketing.settings import MarketingSettings
from services.marketing.store import CONSENT_BUCKET, PROFILES_BUCKET, ConsentStore, Profiles

NAME = "marketing"
# What it calls other services with, through the gateway (its API key holds just these).
GATEWAY_SCOPES = SCOPES
Settings = MarketingSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["MarketingService"].full_name,)


def rules(settings: MarketingSettings) -> Rules:
    return Rules(settings.threshold, settings.half_life, settings.cool_down, settings.top_n)


async def build(nc: NatsClient, settings: MarketingSettings) -> Wiring:
    # Provision before opening the buckets: the contract declares them and the MARKETING stream.
    events = Application(nc, settings=EventSettings(source=SOURCE))
    js = nc.jetstream()
    await provision_at_start(settings, [events.contract])
    profiles = Profiles(await js.key_value(PROFILES_BUCKET))
    consent = ConsentStore(await js.key_value(CONSENT_BUCKET))
    gateway = GatewayClient.open(settings, NAME)
    notifier = Notifier(gateway.channel, settings.notify_timeout_seconds)
    decision_rules = rules(settings)
    recommender = Recommender(profiles, consent, notifier, decision_rules, settings.settle_seconds)
    handlers.register(events, recommender)
    await events.start()
    servicer = MarketingServiceV1(
        events,
        profiles,
        consent,
        Access(ADMIN_SCOPE),
        decision_rules,
        settings.max_events_per_call,
        utc_now,
    )
    return Wiring(
        registrars=[
            lambda server: pb_grpc.add_MarketingServiceServicer_to_server(servicer, server)
        ],
        services=SERVICES,
        # Stopped in reverse: consumers first (in-flight sends finish), then the channel.
        on_stop=[gateway.close, events.stop],
    )
