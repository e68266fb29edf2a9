"""How stored records read out in the API."""

from collections.abc import Mapping
from datetime import datetime

from acme.marketing.v1 import marketing_pb2 as pb

from accord.timestamps import timestamp
from services.marketing import catalogue
from services.marketing.records import ConsentRecord, ContactRecord, ContactStatus, ProfileRecord
from services.marketing.rules import Decision
from services.marketing.scoring import Scores

_DECISIONS = {
    Decision.BELOW_THRESHOLD: pb.RECOMMENDATION_DECISION_BELOW_THRESHOLD,
    Decision.NO_CONSENT: pb.RECOMMENDATION_DECISION_NO_CONSENT,
    Decision.COOLING_DOWN: pb.RECOMMENDATION_DECISION_COOLING_DOWN,
    Decision.RECOMMENDED: pb.RECOMMENDATION_DECISION_RECOMMENDED,
}
_CONTACT_STATUSES = {
    ContactStatus.PENDING: pb.CONTACT_STATUS_PENDING,
    ContactStatus.SENT: pb.CONTACT_STATUS_SENT,
    ContactStatus.CANCELLED: pb.CONTACT_STATUS_CANCELLED,
}


def product_pb(product: catalogue.Product) -> pb.Product:
    units, nanos = divmod(product.price_nanos, catalogue.NANOS)
    return pb.Product(
        sku=product.sku,
        name=product.name,
        category=product.category,
        brand=product.brand,
        price=pb.Money(currency_code=catalogue.CURRENCY, units=units, nanos=nanos),
    )


def consent_pb(customer_id: str, consent: ConsentRecord | None) -> pb.Consent:
    if consent is None:  # never chose: no consent
        return pb.Consent(customer_id=customer_id, status=pb.CONSENT_STATUS_OPTED_OUT)
    status = pb.CONSENT_STATUS_OPTED_IN if consent.opted_in else pb.CONSENT_STATUS_OPTED_OUT
    return pb.Consent(
        customer_id=customer_id, status=status, update_time=timestamp(consent.updated_at)
    )


def _scores_pb(scores: Mapping[str, float]) -> list[pb.Score]:
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [pb.Score(name=name, score=score) for name, score in ordered]


def contact_pb(contact: ContactRecord) -> pb.Contact:
    return pb.Contact(
        notification_id=contact.notification_id,
        trigger_event_id=contact.trigger_event_id,
        contact_time=timestamp(contact.at),
        status=_CONTACT_STATUSES[contact.status],
        skus=contact.skus,
        emailed=contact.emailed,
    )


def profile_pb(
    profile: ProfileRecord, scores: Scores, now: datetime, recommendations: list[catalogue.Product]
) -> pb.Profile:
    """`scores` are the profile's, decayed to `now`."""
    view = pb.Profile(
        customer_id=profile.customer_id,
        category_scores=_scores_pb(scores.categories),
        brand_scores=_scores_pb(scores.brands),
        as_of_time=timestamp(now),
        events_applied=profile.events_applied,
        recommendations=[product_pb(p) for p in recommendations],
    )
    if profile.last_decision is not None:
        view.last_decision = _DECISIONS[profile.last_decision]
    if profile.last_contact is not None:
        view.last_contact.CopyFrom(contact_pb(profile.last_contact))
    return view
