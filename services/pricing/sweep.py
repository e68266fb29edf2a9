"""Velocity falls as bookings leave the window, with no booking to trigger a reprice: every
`reprice_every_seconds`, each flight whose last booking is recent enough that the window
may have changed since (booked within window + 2 sweep periods) is repriced. Every
instance may sweep: the compare-and-set in `Prices.reprice` keeps one revision per change.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.pricing.flights import Flights
from services.pricing.prices import Prices
from services.pricing.records import now

log = logging.getLogger("services.pricing.sweep")


@dataclass(slots=True)
class Sweeper:
    flights: Flights
    prices: Prices
    window: timedelta
    every: float
    task: asyncio.Task[None] | None = field(default=None, init=False)

    async def sweep_once(self, moment: datetime | None = None) -> int:
        """Reprice the flights the window may have changed as of `moment` (default: now);
        how many were repriced."""
        moment = moment or now()
        since = moment - self.window - timedelta(seconds=2 * self.every)
        flights = await self.flights.recently_booked(since)
        for route_id, date in flights:
            await self.prices.reprice(route_id, date, moment)
        return len(flights)

    def start(self) -> None:
        if self.every > 0:
            self.task = asyncio.create_task(self._run(), name="pricing-sweep")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.sweep_once()
            except Exception:  # a NATS hiccup: the next sweep tries again
                log.exception("pricing sweep failed")
