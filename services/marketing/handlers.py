"""The consumer of browsing events: each one, typed from the contract, to the recommender."""

from acme_events.marketing import Application
from acme_events.marketing.messages.json import BrowsingEventTrackedPayload

from accord.events import EventContext
from services.marketing.profile import BrowsingEvent, event_id
from services.marketing.recommender import Recommender
from services.marketing.scoring import Kind


def browsing_event(payload: BrowsingEventTrackedPayload) -> BrowsingEvent:
    return BrowsingEvent(
        # From the payload, not the header: the same id whoever published it.
        event_id=event_id(payload.customer_id, payload.event_id),
        customer_id=payload.customer_id,
        kind=Kind(payload.kind.value),
        at=payload.occurred_at,
        sku=payload.sku,
        category=payload.category,
    )


def register(app: Application, recommender: Recommender) -> None:
    @app.consumer.receive_browsing_event_tracked
    async def on_browsing_event(payload: BrowsingEventTrackedPayload, event: EventContext) -> None:
        await recommender.handle(browsing_event(payload))
