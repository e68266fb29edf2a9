"""The real banking service against the session's nats-server, and ways to call it."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeAlias

import pytest
from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.banking.app import SERVICE
from tests.support.running import caller, callers, service_fixture

CUSTOMER_SCOPES = ("banking:read", "banking:write")
STAFF_SCOPES = ("banking:read", "banking:write", "banking:admin")
EVENT_SUBJECT = "acme.banking.v1.transfer.status_changed"

Stub: TypeAlias = "pb_grpc.BankingServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.BankingServiceAsyncStub"]]


banking_service = service_fixture(SERVICE)
# `async with stub_as("alice") as bank:` calls as alice (customer scopes by default).
stub_as = callers("banking_service", pb_grpc.BankingServiceStub, *CUSTOMER_SCOPES)
staff = caller("staff", *STAFF_SCOPES)


@pytest.fixture
def currency() -> str:
    """A currency code of this test's own, so its ledger sums see only its own postings."""
    return "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=3))


def money(currency: str, units: int, nanos: int = 0) -> pb.Money:
    return pb.Money(currency_code=currency, units=units, nanos=nanos)


def nanos_of(amount: pb.Money) -> int:
    return amount.units * 1_000_000_000 + amount.nanos


@dataclass
class Bank:
    """Opens and funds accounts for a test, as their customers and as staff."""

    stub_as: StubAs
    staff: Stub
    currency: str

    async def account(self, customer: str, units: int = 0) -> pb.Account:
        async with self.stub_as(customer) as bank:
            reply = await bank.OpenAccount(
                pb.OpenAccountRequest(customer_id=customer, currency_code=self.currency)
            )
        account = reply.account
        if units:
            deposit = pb.DepositRequest(
                account_id=account.account_id,
                amount=money(self.currency, units),
                request_id=f"fund-{account.account_id}",
            )
            account = (await self.staff.Deposit(deposit)).account
        return account

    async def balance(self, account_id: str) -> int:
        reply = await self.staff.GetAccount(pb.GetAccountRequest(account_id=account_id))
        return nanos_of(reply.account.balance)


@pytest.fixture
def bank(stub_as: StubAs, staff: Stub, currency: str) -> Bank:
    return Bank(stub_as, staff, currency)


async def transfer_events(nats_client: NatsClient, transfer_id: str) -> list[dict[str, Any]]:
    """Every transfer-status-changed stored for the transfer: payload plus its `ce-id`.

    Publishes finish before Transfer answers, so reading the stream to its end sees all.
    """
    js = nats_client.jetstream()
    sub = await js.subscribe(
        EVENT_SUBJECT,
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    found = []
    try:
        while True:
            msg = await sub.next_msg(timeout=5)
            body = json.loads(msg.data)
            if body["transferId"] == transfer_id:
                found.append({**body, "ce-id": (msg.headers or {}).get("ce-id")})
            if msg.metadata.num_pending == 0:
                return found
    finally:
        await sub.unsubscribe()
