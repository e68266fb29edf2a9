"""What shipping does with events: schedule each reserved order once, never a cancelled one.

Idempotent on the stored shipment: a redelivered stock-reserved finds its shipment and
announces it again (same event id, kept once). A cancellation marks the shipment cancelled,
or, when it arrives first, leaves a cancelled shipment behind so that a late stock-reserved
schedules nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from acme.shipping.v1 import shipping_pb2 as pb
from acme_events.shipping import Application
from acme_events.shipping.messages.json import (
    OrderStatus,
    OrderStatusChangedPayload,
    ShipmentScheduledPayload,
    StockReservedPayload,
)

from accord.events import EventContext
from accord.timestamps import timestamp, timestamp_now
from services.shipping.rules import plan
from services.shipping.store import ShipmentStore

log = logging.getLogger("services.shipping.handlers")


def shipment_id(order_id: str) -> str:
    return f"shp_{order_id}"


def _scheduled(stock: StockReservedPayload, reserved_at: datetime) -> pb.Shipment:
    units = sum(line.quantity for line in stock.lines)
    chosen = plan(units, reserved_at)
    now = timestamp_now()
    return pb.Shipment(
        shipment_id=shipment_id(stock.order_id),
        order_id=stock.order_id,
        customer_id=stock.customer_id,
        status=pb.SHIPMENT_STATUS_SCHEDULED,
        carrier=chosen.carrier,
        estimated_arrival_time=timestamp(chosen.estimated_arrival),
        units=units,
        create_time=now,
        update_time=now,
    )


@dataclass(frozen=True, slots=True)
class Shipping:
    store: ShipmentStore
    app: Application

    async def on_stock_reserved(self, stock: StockReservedPayload, reserved_at: datetime) -> None:
        # A cancellation may have stored a cancelled shipment first: then nothing ships.
        shipment = await self.store.get_or_create(
            stock.order_id, lambda: _scheduled(stock, reserved_at)
        )
        if shipment.status == pb.SHIPMENT_STATUS_SCHEDULED:
            await self._announce(shipment)
        else:
            log.info("order %s was cancelled: not shipped", stock.order_id)

    async def _announce(self, shipment: pb.Shipment) -> None:
        await self.app.producer.send_shipment_scheduled(
            ShipmentScheduledPayload(
                shipment_id=shipment.shipment_id,
                order_id=shipment.order_id,
                customer_id=shipment.customer_id,
                carrier=shipment.carrier,
                estimated_arrival=shipment.estimated_arrival_time.ToDatetime(UTC),
            ),
            event_id=f"{shipment.order_id}.shipment-scheduled",
            time=shipment.create_time.ToDatetime(UTC),
        )

    async def on_status_changed(self, change: OrderStatusChangedPayload) -> None:
        if change.status != OrderStatus.CANCELLED:
            return
        # With no carrier: an order cancelled before its stock was reserved never ships.
        tombstone = pb.Shipment(
            shipment_id=shipment_id(change.order_id), status=pb.SHIPMENT_STATUS_CANCELLED
        )
        await self.store.on_cancelled(change.order_id, change.customer_id or "", tombstone, _cancel)


def _cancel(shipment: pb.Shipment) -> bool:
    """Cancel a scheduled shipment; a cancelled one stays as it is (False)."""
    if shipment.status == pb.SHIPMENT_STATUS_CANCELLED:
        return False
    shipment.status = pb.SHIPMENT_STATUS_CANCELLED
    shipment.update_time.CopyFrom(timestamp_now())
    return True


def register(app: Application, shipping: Shipping) -> None:
    @app.consumer.receive_stock_reserved
    async def schedule(stock: StockReservedPayload, event: EventContext) -> None:
        # The event's own time: a redelivery plans the same arrival.
        await shipping.on_stock_reserved(stock, event.time or datetime.now(UTC))

    @app.consumer.receive_order_status_changed
    async def cancel(change: OrderStatusChangedPayload, event: EventContext) -> None:
        await shipping.on_status_changed(change)
