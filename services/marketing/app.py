"""The marketing service as the platform runs it (accord.skeleton): profiles, consent, and
recommendations sent through notifications."""

from acme.marketing.v1 import marketing_pb2 as pb
from acme.marketing.v1 import marketing_pb2_grpc as pb_grpc
from acme_events.marketing import Application

from accord.skeleton import Api, Parts, Service
from services.marketing import handlers
from services.marketing.notifier import SCOPES, Notifier
from services.marketing.recommender import Recommender, utc_now
from services.marketing.rules import Rules
from services.marketing.servicer import MarketingServiceV1
from services.marketing.settings import MarketingSettings
from services.marketing.store import (
    CONSENT_BUCKET,
    COUNTED_BUCKET,
    PROFILES_BUCKET,
    ConsentStore,
    Profiles,
)

API = Api.named("MarketingService", pb, pb_grpc)


def rules(settings: MarketingSettings) -> Rules:
    return Rules(settings.threshold, settings.half_life, settings.cool_down, settings.top_n)


async def assemble(parts: Parts[MarketingSettings, Application]) -> list[object]:
    settings = parts.settings
    profiles = Profiles(
        await parts.js.key_value(PROFILES_BUCKET), await parts.js.key_value(COUNTED_BUCKET)
    )
    consent = ConsentStore(await parts.js.key_value(CONSENT_BUCKET))
    notifier = Notifier(parts.gateway().channel, settings.notify_timeout_seconds)
    decision_rules = rules(settings)
    recommender = Recommender(profiles, consent, notifier, decision_rules, settings.settle_seconds)
    handlers.register(parts.events, recommender)
    servicer = MarketingServiceV1(
        events=parts.events,
        profiles=profiles,
        consent=consent,
        rules=decision_rules,
        max_events=settings.max_events_per_call,
        clock=utc_now,
    )
    return [servicer]


SERVICE = Service(
    "marketing", MarketingSettings, (API,), Application, assemble, gateway_scopes=SCOPES
)
