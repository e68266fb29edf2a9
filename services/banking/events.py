"""Where banking publishes transfer-status-changed: once per status a transfer reaches.

The event id is `<transferId>.<status>`, derived from what happened, and the event is
published again whenever the call that caused it is retried. So a publish that failed
after the write is repaired by the client's retry, and a repeat is stored once (JetStream's
duplicate window) or, later, ignored by consumers idempotent on the id.
"""

from dataclasses import dataclass

from acme_events.banking import Application
from acme_events.banking.messages.json import (
    Money,
    TransferRule,
    TransferStatus,
    TransferStatusChangedPayload,
)

from accord.money import event_money
from services.banking.records import Status, TransferRecord


def event_id(transfer: TransferRecord) -> str:
    return f"{transfer.transfer_id}.{transfer.status.value}"


@dataclass(frozen=True, slots=True)
class TransferEvents:
    app: Application

    async def status_changed(self, transfer: TransferRecord) -> None:
        if transfer.status is Status.PENDING or transfer.decision is None:
            return  # nothing decided yet: nothing to announce
        previous = transfer.previous_status
        payload = TransferStatusChangedPayload(
            transfer_id=transfer.transfer_id,
            customer_id=transfer.customer_id,
            from_account_id=transfer.from_account_id,
            to_account_id=transfer.to_account_id,
            amount=event_money(Money, transfer.currency, transfer.amount),
            status=TransferStatus(transfer.status.value),
            rule=TransferRule(transfer.decision.rule.value),
            reason=transfer.decision.reason,
            changed_at=transfer.updated_at,
        )
        if previous is not None:  # left unset otherwise: the contract has no null for it
            payload.previous_status = TransferStatus(previous.value)
        await self.app.producer.send_transfer_status_changed(
            payload, event_id=event_id(transfer), time=transfer.updated_at
        )
