"""Windows: which ticket an error of a customer's fingerprint is counted on.

An *episode* is one window of a customer's fingerprint, with the one ticket its errors go to.
Rules, each deterministic from the stored episode and the error's own time:
- The first error of a fingerprint starts episode 1; its window runs from the error's
  `occurred_at` for `window` (a setting, 24 h by default).
- A later error joins the current episode when it occurred before the window's end (an
  error reported late, that occurred before the window started, joins it too): one ticket,
  its occurrences counted.
- An error that occurred at or after the window's end starts the next episode (number + 1)
  at its own `occurred_at`: a new ticket.
- When support answers that the episode's ticket was resolved, the error starts the next
  episode the same way: staff closed the case, so an error seen again is a new case (the
  fix did not hold, or the problem came back), not a silent count on a closed ticket.

The ticket key is `<customerId>.<fingerprint>.<number>`: the same for every error of an
episode, whoever handles it, however often the event is redelivered, so support opens one
ticket per episode. The number (not the start time) tells episodes apart, so that two
episodes can never share a key even when their windows start in the same millisecond.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel


class Episode(BaseModel):
    customer_id: str
    fingerprint: str
    number: int
    window_start: datetime
    window_end: datetime

    @property
    def ticket_key(self) -> str:
        return ticket_key(self.customer_id, self.fingerprint, self.number)


def ticket_key(customer_id: str, fingerprint: str, number: int) -> str:
    return f"{customer_id}.{fingerprint}.{number}"


def joins(episode: Episode, occurred_at: datetime) -> bool:
    """Whether an error that occurred at `occurred_at` is counted on `episode`'s ticket."""
    return occurred_at < episode.window_end


def next_episode(
    previous: Episode | None,
    customer_id: str,
    fingerprint: str,
    occurred_at: datetime,
    window: timedelta,
) -> Episode:
    """The episode an error starts, after `previous` (None for the fingerprint's first)."""
    return Episode(
        customer_id=customer_id,
        fingerprint=fingerprint,
        number=previous.number + 1 if previous else 1,
        window_start=occurred_at,
        window_end=occurred_at + window,
    )
