"""Publish the upstream events notifications consumes, as their services would."""

from datetime import UTC, datetime

from acme_events.banking import Application as Banking
from acme_events.banking.messages import json as banking
from acme_events.orders import Application as Orders
from acme_events.orders.messages import json as orders


async def order_placed(events: Orders, customer: str, order_id: str, *, again: str = "") -> str:
    """Publish order-placed; its event id. `again` republishes the same event (same ce-id)
    under another Nats-Msg-Id, which JetStream's duplicate window cannot catch."""
    event_id = f"{order_id}.placed"
    payload = orders.OrderPlacedPayload(
        order_id=order_id,
        customer_id=customer,
        total_cents=1250,
        currency="EUR",
        lines=[orders.OrderLine(sku="TEA-1", quantity=5)],
    )
    extra = {"Nats-Msg-Id": f"{event_id}.{again}"} if again else None
    await events.producer.send_order_placed(payload, event_id=event_id, extra_headers=extra)
    return event_id


async def order_status(
    events: Orders, order_id: str, previous: str, status: str, reason: str | None = None
) -> str:
    event_id = f"{order_id}.{status.lower()}"
    fields: dict[str, object] = {
        "order_id": order_id,
        "previous_status": orders.OrderStatus(previous),
        "status": orders.OrderStatus(status),
        "changed_at": datetime.now(UTC),
    }
    if reason is not None:
        fields["reason"] = reason
    payload = orders.OrderStatusChangedPayload.model_validate(fields)
    await events.producer.send_order_status_changed(payload, event_id=event_id)
    return event_id


async def transfer_status(events: Banking, customer: str, transfer_id: str, status: str) -> str:
    event_id = f"{transfer_id}.{status}"
    payload = banking.TransferStatusChangedPayload(
        transfer_id=transfer_id,
        customer_id=customer,
        from_account_id=f"{customer}-main",
        to_account_id="payee-1",
        amount=banking.Money(currency="EUR", units=900, nanos=500_000_000),
        status=banking.TransferStatus(status),
        rule=banking.TransferRule.NEW_PAYEE,
        reason="A large first transfer to this payee.",
        changed_at=datetime.now(UTC),
    )
    await events.producer.send_transfer_status_changed(payload, event_id=event_id)
    return event_id
