"""The double-entry ledger: entries sum to zero per currency, balances are their entries."""

from __future__ import annotations

import json
import random
from collections import defaultdict

import pytest
from acme.banking.v1 import banking_pb2 as pb
from nats.aio.client import Client as NatsClient

from accord.kv import keys_matching
from services.banking.ledger import ENTRIES_BUCKET, funding_account_id
from tests.integration.banking.conftest import Bank, Stub, StubAs, money, nanos_of
from tests.support.banking import entries, read_account

pytestmark = pytest.mark.integration


async def test_after_a_series_of_transfers_the_ledger_balances(
    bank: Bank, stub_as: StubAs, staff: Stub, nats_client: NatsClient, unique: str, currency: str
) -> None:
    customers = [f"c{n}-{unique}" for n in range(3)]
    accounts = [await bank.account(customer, 300) for customer in customers]
    rng = random.Random(5)  # a fixed series: the test is the same on every run
    outcomes: dict[str, int] = defaultdict(int)
    for step in range(12):
        sender, receiver = rng.sample(range(3), 2)
        units = rng.choice([1, 20, 90, 250, 400])  # some overdraw, some need a review
        async with stub_as(customers[sender]) as as_sender:
            reply = await as_sender.Transfer(
                pb.TransferRequest(
                    request_id=f"s{step}",
                    from_account_id=accounts[sender].account_id,
                    to_account_id=accounts[receiver].account_id,
                    amount=money(currency, units, 500_000_000),
                )
            )
        outcomes[pb.TransferStatus.Name(reply.transfer.status)] += 1
    assert outcomes["TRANSFER_STATUS_COMPLETED"] >= 3

    mine = {account.account_id for account in accounts}
    funding = funding_account_id(currency)
    total = 0
    for account_id in [*mine, funding]:
        account = await read_account(staff, account_id)
        posted = await entries(staff, account_id, page_size=2)  # paging exercised too
        assert [e.entry_id for e in posted] == sorted(e.entry_id for e in posted)
        assert nanos_of(account.balance) == sum(nanos_of(e.amount) for e in posted)
        if account_id != funding:
            assert nanos_of(account.balance) >= 0
            assert nanos_of(account.available) >= 0
        # The funding account is the currency's: count only its postings with this test's
        # accounts, in case another test drew the same currency code.
        total += sum(
            nanos_of(e.amount)
            for e in posted
            if account_id in mine or e.counterparty_account_id in mine
        )
    assert total == 0

    # The same over the whole bucket: per currency, every entry ever posted sums to zero.
    kv = await nats_client.jetstream().key_value(ENTRIES_BUCKET)
    sums: dict[str, int] = defaultdict(int)
    for key in await keys_matching(kv, "entry.>"):
        record = json.loads((await kv.get(key)).value or b"{}")
        sums[record["currency"]] += record["amount"]
    assert set(sums.values()) == {0}
