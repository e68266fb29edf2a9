"""What inventory does with events: reserve an order's stock all or nothing, release it once.

An order's lines are taken one product at a time, in SKU order, each with a
compare-and-set (stock.py); when one is short, the reservation is marked OUT_OF_STOCK first
and then every unit already taken is given back, so the order ends holding all its lines or
none. Two orders racing for the last unit both try the same compare-and-set: exactly one
wins it, the other reads the new figure and is short. While an order's units are being
taken, another order may briefly find them gone and be refused, even if the first one then
gives them back: a refusal is final, never a double sale.

Idempotent on the reservation's status (reservations.py): a redelivered event finishes
what a previous delivery started, and announces the same outcome with the same event id.
Under it, each product's units are taken and given back once per order, forever, on a marker
per change (stock.py): a delivery that died while taking units, redelivered however late,
takes none twice, and a cancellation gives back only what was taken.
"""

import logging
from dataclasses import dataclass

from acme_events.inventory import Application
from acme_events.inventory.messages.json import (
    OrderStatus,
    OrderStatusChangedPayload,
    OutOfStockPayload,
    PaymentAuthorizedPayload,
    Shortage,
    StockLine,
    StockReleasedPayload,
    StockReservedPayload,
)

from accord.events import EventContext
from services.inventory.reservations import Reservation, Reservations, Shortfall, Status
from services.inventory.stock import Catalogue, Move

log = logging.getLogger("services.inventory.handlers")


class ReservationInProgress(Exception):
    """A cancellation arrived while the order's units are being taken: retried later."""


@dataclass(frozen=True, slots=True)
class Inventory:
    catalogue: Catalogue
    reservations: Reservations
    app: Application

    async def on_payment_authorized(self, payment: PaymentAuthorizedPayload) -> None:
        lines: dict[str, int] = {}
        for line in payment.lines:  # one entry per product, whatever the order repeats
            lines[line.sku] = lines.get(line.sku, 0) + line.quantity
        while True:
            found = await self.reservations.get(payment.order_id)
            if found is None:
                fresh = Reservation(payment.order_id, payment.customer_id, Status.RESERVING, lines)
                created = await self.reservations.create(fresh)
                if created is None:
                    continue  # a cancellation, or another delivery, got there first
                found = (fresh, created)
            reservation, revision = found
            if reservation.status == Status.RESERVING:
                if not await self._take(reservation, revision):
                    continue  # changed meanwhile: read it again
                return
            if reservation.status in (Status.RESERVED, Status.OUT_OF_STOCK):
                await self._give_back(reservation)  # a no-op unless it was short
                await self._announce(reservation)
            return  # RELEASED, CANCELLED: the order was cancelled

    async def _take(self, reservation: Reservation, revision: int) -> bool:
        for sku in sorted(reservation.lines):
            units = reservation.lines[sku]
            taken = await self.catalogue.move(sku, reservation.order_id, Move.RESERVE, units)
            if not taken.done:
                reservation.status = Status.OUT_OF_STOCK
                reservation.shortages = [Shortfall(sku, units, taken.available)]
                break
        else:
            reservation.status = Status.RESERVED
        if not await self.reservations.replace(reservation, revision):
            return False
        await self._give_back(reservation)
        await self._announce(reservation)
        return True

    async def _give_back(self, reservation: Reservation) -> None:
        """Return the units of a short or released reservation, each product once."""
        if reservation.status not in (Status.OUT_OF_STOCK, Status.RELEASED):
            return
        order_id = reservation.order_id
        for sku in sorted(reservation.lines):
            if await self.catalogue.moved(sku, order_id, Move.RESERVE):
                await self.catalogue.move(sku, order_id, Move.RELEASE, reservation.lines[sku])

    async def _announce(self, reservation: Reservation) -> None:
        order_id, customer_id = reservation.order_id, reservation.customer_id
        lines = [StockLine(sku=sku, quantity=units) for sku, units in reservation.lines.items()]
        if reservation.status == Status.RESERVED:
            await self.app.producer.send_stock_reserved(
                StockReservedPayload(order_id=order_id, customer_id=customer_id, lines=lines),
                event_id=f"{order_id}.stock-reserved",
            )
        elif reservation.status == Status.OUT_OF_STOCK:
            short = reservation.shortages
            reason = "out of stock: " + ", ".join(
                f"{s.sku} ({s.requested} asked, {s.available} left)" for s in short
            )
            await self.app.producer.send_out_of_stock(
                OutOfStockPayload(
                    order_id=order_id,
                    customer_id=customer_id,
                    reason=reason,
                    shortages=[
                        Shortage(sku=s.sku, requested=s.requested, available=s.available)
                        for s in short
                    ],
                ),
                event_id=f"{order_id}.out-of-stock",
            )
        elif reservation.status == Status.RELEASED:
            await self.app.producer.send_stock_released(
                StockReleasedPayload(order_id=order_id, customer_id=customer_id, lines=lines),
                event_id=f"{order_id}.stock-released",
            )

    async def on_status_changed(self, change: OrderStatusChangedPayload) -> None:
        if change.status != OrderStatus.CANCELLED:
            return
        while True:
            found = await self.reservations.get(change.order_id)
            if found is None:
                # Cancelled before its payment was authorized: make sure nothing is taken
                # for it later, if the authorization still comes.
                tombstone = Reservation(change.order_id, change.customer_id or "", Status.CANCELLED)
                if await self.reservations.create(tombstone) is not None:
                    return
                continue
            reservation, revision = found
            if reservation.status == Status.RESERVING:
                raise ReservationInProgress(change.order_id)
            if reservation.status == Status.RESERVED:
                reservation.status = Status.RELEASED
                if not await self.reservations.replace(reservation, revision):
                    continue
            if reservation.status in (Status.RELEASED, Status.OUT_OF_STOCK):
                await self._give_back(reservation)  # again on redelivery: each unit once
            if reservation.status == Status.RELEASED:
                await self._announce(reservation)
            return


def register(app: Application, inventory: Inventory) -> None:
    @app.consumer.receive_payment_authorized
    async def reserve(payment: PaymentAuthorizedPayload, event: EventContext) -> None:
        await inventory.on_payment_authorized(payment)

    @app.consumer.receive_order_status_changed
    async def release(change: OrderStatusChangedPayload, event: EventContext) -> None:
        await inventory.on_status_changed(change)
