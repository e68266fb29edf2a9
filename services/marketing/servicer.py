"""acme.marketing.v1.MarketingService: checks each call, then tracks, records or reads."""

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from acme.marketing.v1 import marketing_pb2 as pb
from acme.marketing.v1 import marketing_pb2_grpc as pb_grpc
from acme_events.marketing import Application
from acme_events.marketing.messages.json import BrowsingEventTrackedPayload

from accord.access import Context
from accord.client_streams import ensure_not_cancelled
from accord.error_mapping import unavailable
from accord.events import EventError
from accord.rpc_status import field_violation, invalid_argument
from accord.validation import check, id_violations
from services.marketing import catalogue, scoring, tracking, views
from services.marketing.rules import Rules, rank
from services.marketing.store import ConsentStore, Profiles

_CHOICES = {pb.CONSENT_STATUS_OPTED_IN: True, pb.CONSENT_STATUS_OPTED_OUT: False}


async def _each(
    requests: AsyncIterator[pb.TrackEventsRequest] | Iterator[pb.TrackEventsRequest],
) -> AsyncIterator[pb.TrackEventsRequest]:
    if isinstance(requests, Iterator):
        for request in requests:
            yield request
    else:
        async for request in requests:
            yield request


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketingServiceV1(pb_grpc.MarketingServiceServicer):
    events: Application
    profiles: Profiles
    consent: ConsentStore
    rules: Rules
    max_events: int  # in one TrackEvents call
    clock: Callable[[], datetime]

    async def TrackEvents(
        self,
        request_iterator: AsyncIterator[pb.TrackEventsRequest] | Iterator[pb.TrackEventsRequest],
        context: Context,
    ) -> pb.TrackEventsResponse:
        batch: list[BrowsingEventTrackedPayload] = []
        index = 0
        async for request in _each(request_iterator):
            if index >= self.max_events:
                raise invalid_argument(
                    [field_violation("events", f"at most {self.max_events} events per call")]
                )
            tracking.check(index, request)  # its owner: checked message by message (enforcement)
            batch.append(tracking.payload(request, self.clock()))
            index += 1
        # All or nothing: a stream the gateway refused part-way looks ended here; wait for
        # its cancellation before storing anything.
        await ensure_not_cancelled(context)
        try:
            tracked = await tracking.publish(self.events, batch)
        except EventError as failure:
            raise unavailable(
                "the events could not be stored (send the same stream again)", "EVENTS_NOT_STORED"
            ) from failure
        return pb.TrackEventsResponse(
            accepted_count=tracked.accepted, duplicate_count=tracked.duplicates
        )

    async def SetConsent(
        self, request: pb.SetConsentRequest, context: Context
    ) -> pb.SetConsentResponse:
        check(id_violations("customer_id", request.customer_id))
        opted_in = _CHOICES.get(request.status)
        if opted_in is None:
            raise invalid_argument([field_violation("status", "must be OPTED_IN or OPTED_OUT")])
        consent = await self.consent.set(request.customer_id, opted_in, self.clock())
        return pb.SetConsentResponse(consent=views.consent_pb(request.customer_id, consent))

    async def GetConsent(
        self, request: pb.GetConsentRequest, context: Context
    ) -> pb.GetConsentResponse:
        check(id_violations("customer_id", request.customer_id))
        consent = await self.consent.get(request.customer_id)
        return pb.GetConsentResponse(consent=views.consent_pb(request.customer_id, consent))

    async def GetProfile(
        self, request: pb.GetProfileRequest, context: Context
    ) -> pb.GetProfileResponse:
        check(id_violations("customer_id", request.customer_id))
        profile, _ = await self.profiles.read(request.customer_id)
        now = self.clock()
        scores = scoring.decayed_to(profile.scores, now, self.rules.half_life.total_seconds())
        products = rank(catalogue.PRODUCTS, scores, self.rules.top_n)
        return pb.GetProfileResponse(profile=views.profile_pb(profile, scores, now, products))
