"""The consumer's work for each browsing event: apply it, decide, and maybe recommend.

1. Apply the event to the customer's profile and decide (profile.apply_event), by
   compare-and-set: concurrent events of one customer are applied one after the other, so
   two of them cannot both start a recommendation. A RECOMMENDED decision records a PENDING
   contact in the same write, which starts the cool-down.
2. Only the handler of the event that decided the contact sends it. It waits out the
   settle time (the email then ranks the products on the whole burst of browsing, not only
   on the events up to the one that crossed the threshold) by asking for the event again
   when it is over (RetryLater: one delayed redelivery, no worker held), reads consent from
   the store once more (an opt-out since the decision cancels the contact: nothing is sent,
   and the cool-down does not start), asks notifications to email it, then marks it SENT.

Idempotent: a redelivered or replayed event, however late, finds its marker (store.py) and
changes nothing; if its contact is still PENDING (the send failed or the process died), it
is sent again with the same notification id, which notifications makes once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from accord.events import RetryLater
from services.marketing import catalogue, scoring
from services.marketing.notifier import Notifier
from services.marketing.profile import BrowsingEvent, apply_event, count_event
from services.marketing.records import ContactRecord, ContactStatus, ProfileRecord
from services.marketing.rules import Decision, Rules, rank
from services.marketing.store import ConsentStore, Profiles


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Recommender:
    profiles: Profiles
    consent: ConsentStore
    notifier: Notifier
    rules: Rules
    settle_seconds: float
    clock: Callable[[], datetime] = utc_now

    async def handle(self, event: BrowsingEvent) -> None:
        profile = await self._apply(event)
        contact = profile.last_contact
        if (
            contact is not None
            and contact.trigger_event_id == event.event_id
            and contact.status is ContactStatus.PENDING
        ):
            # The settle time counts from the decision. The event comes back when it is over
            # (a delayed redelivery), so no consumer worker is held while it runs.
            remaining = (contact.at - self.clock()).total_seconds() + self.settle_seconds
            if remaining > 0:
                raise RetryLater(remaining, f"recommendation {contact.notification_id} settling")
            await self._deliver(profile, contact)

    async def _apply(self, event: BrowsingEvent) -> ProfileRecord:
        """The profile after the event (counted now, or before: a redelivery)."""
        consented = False

        async def read_consent_if_needed(profile: ProfileRecord) -> None:
            # Consent only matters above the threshold (rules.decide): read it only then.
            nonlocal consented
            without = apply_event(profile, event, consented=False, rules=self.rules)
            consented = without.last_decision is Decision.NO_CONSENT and (
                await self.consent.opted_in(event.customer_id)
            )

        def count(profile: ProfileRecord) -> None:
            count_event(profile, event, consented=consented, rules=self.rules)

        return await self.profiles.count(
            event.customer_id, event.event_id, count, read_consent_if_needed
        )

    async def _deliver(self, profile: ProfileRecord, contact: ContactRecord) -> None:
        """Send the contact, ranked on `profile` (read after the settle time)."""
        customer_id = profile.customer_id
        # From the store, right before sending: an opt-out made at any time until now wins.
        # What remains is the call's own latency, where an opt-out cannot be told apart from
        # one made just after the email went.
        if not await self.consent.opted_in(customer_id):
            await self._finish(customer_id, contact, ContactStatus.CANCELLED, [], False)
            return
        now = self.clock()
        scores = scoring.decayed_to(profile.scores, now, self.rules.half_life.total_seconds())
        products = rank(catalogue.PRODUCTS, scores, self.rules.top_n)
        emailed = await self.notifier.recommend(
            customer_id, contact.notification_id, products, scores
        )
        skus = [p.sku for p in products]
        await self._finish(customer_id, contact, ContactStatus.SENT, skus, emailed)

    async def _finish(
        self,
        customer_id: str,
        contact: ContactRecord,
        status: ContactStatus,
        skus: list[str],
        emailed: bool,
    ) -> None:
        def mark(profile: ProfileRecord) -> ProfileRecord:
            last = profile.last_contact
            if (
                last is None
                or last.notification_id != contact.notification_id
                or last.status is not ContactStatus.PENDING
            ):
                return profile  # finished before (a redelivery)
            done = last.model_copy(update={"status": status, "skus": skus, "emailed": emailed})
            return profile.model_copy(update={"last_contact": done})

        await self.profiles.change(customer_id, mark)
