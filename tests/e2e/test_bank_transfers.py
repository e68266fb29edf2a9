"""Bank transfers through the gateway: each fraud outcome, notified on the customer's app."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as bank
from acme.banking.v1 import banking_pb2_grpc as bank_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

CUSTOMER = ("banking:read", "banking:write", "notifications:read")
STAFF = ("banking:read", "banking:admin")


def _eur(units: int) -> bank.Money:
    return bank.Money(currency_code="EUR", units=units)


async def _account(platform: Platform, customer: str) -> str:
    async with platform.channel(customer, *CUSTOMER) as channel:
        opened = await bank_grpc.BankingServiceStub(channel).OpenAccount(
            bank.OpenAccountRequest(customer_id=customer, currency_code="EUR")
        )
    return opened.account.account_id


async def _fund(platform: Platform, account_id: str, units: int) -> None:
    async with platform.channel("staff", *STAFF) as channel:
        await bank_grpc.BankingServiceStub(channel).Deposit(
            bank.DepositRequest(
                account_id=account_id, request_id=uuid.uuid4().hex, amount=_eur(units)
            )
        )


async def _transfer(
    banking: bank_grpc.BankingServiceAsyncStub, source: str, target: str, units: int
) -> bank.Transfer:
    request = bank.TransferRequest(
        request_id=uuid.uuid4().hex,
        from_account_id=source,
        to_account_id=target,
        amount=_eur(units),
    )
    return (await banking.Transfer(request)).transfer


async def _notified(
    channel: grpc.aio.Channel, customer: str, transfer_id: str
) -> notes.Notification:
    inbox = notes_grpc.NotificationServiceStub(channel)
    for _ in range(100):
        listed = await inbox.ListNotifications(notes.ListNotificationsRequest(customer_id=customer))
        for note in listed.notifications:
            if note.attributes.get("transferId") == transfer_id:
                return note
        await asyncio.sleep(0.05)
    raise AssertionError(f"{customer} was never told about {transfer_id}")


async def test_each_fraud_outcome_is_decided_and_notified(platform: Platform, unique: str) -> None:
    ivy = f"ivy-{unique}"
    source = await _account(platform, ivy)
    friend = await _account(platform, f"jo-{unique}")
    stranger = await _account(platform, f"kim-{unique}")
    await _fund(platform, source, 5000)
    async with platform.channel(ivy, *CUSTOMER) as channel:
        banking = bank_grpc.BankingServiceStub(channel)
        completed = await _transfer(banking, source, friend, 40)
        held = await _transfer(banking, source, stranger, 900)  # a large first transfer to kim
        assert completed.status == bank.TRANSFER_STATUS_COMPLETED
        assert held.status == bank.TRANSFER_STATUS_HELD_FOR_REVIEW
        statuses = [completed.status, held.status]
        while statuses[-1] != bank.TRANSFER_STATUS_REJECTED:  # too many in a short time
            statuses.append((await _transfer(banking, source, friend, 1)).status)
            assert len(statuses) < 20
        rejected_id = (
            await banking.GetTransfer(bank.GetTransferRequest(transfer_id=held.transfer_id))
        ).transfer
        assert rejected_id.status == bank.TRANSFER_STATUS_HELD_FOR_REVIEW
        for transfer in (completed, held):
            note = await _notified(channel, ivy, transfer.transfer_id)
            assert note.attributes["status"] == bank.TransferStatus.Name(
                transfer.status
            ).removeprefix("TRANSFER_STATUS_")
