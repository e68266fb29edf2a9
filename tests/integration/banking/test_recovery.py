"""A transfer interrupted mid-way is finished by the retry of its request, exactly once.

The interrupted states are written straight into the service's buckets, as a crash would
leave them: the request claimed but nothing screened; or the status committed (funds held)
but no entry posted and no event published.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from acme.banking.v1 import banking_pb2 as pb
from nats.aio.client import Client as NatsClient

from services.banking.ledger import ACCOUNTS_BUCKET, ENTRIES_BUCKET, Ledger
from services.banking.records import Decision, Rule, Status, TransferRecord
from services.banking.transfers import TRANSFERS_BUCKET, RequestClaim, fingerprint
from tests.integration.banking.conftest import Bank, StubAs, money, transfer_events
from tests.support.banking import UNIT, alice_and_bob, read_account

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("stage", ["claimed", "committed"])
async def test_a_retry_finishes_an_interrupted_transfer(
    stage: str, bank: Bank, stub_as: StubAs, nats_client: NatsClient, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 100)
    request = pb.TransferRequest(
        request_id="crashed",
        from_account_id=source.account_id,
        to_account_id=target.account_id,
        amount=money(source.currency_code, 30),
    )
    js = nats_client.jetstream()
    transfers = await js.key_value(TRANSFERS_BUCKET)
    moment = datetime.now(UTC)
    record = TransferRecord(
        transfer_id=f"tr-{unique}",
        request_id=request.request_id,
        customer_id=alice,
        from_account_id=source.account_id,
        to_account_id=target.account_id,
        currency=source.currency_code,
        amount=30 * UNIT,
        created_at=moment,
        updated_at=moment,
    )
    if stage == "committed":
        ledger = Ledger(await js.key_value(ACCOUNTS_BUCKET), await js.key_value(ENTRIES_BUCKET))
        await ledger.hold(source.account_id, record.transfer_id, record.amount)
        record.decision = Decision(status=Status.COMPLETED, rule=Rule.PASSED, reason="ok")
        record.status = Status.COMPLETED
        record.posted_ns = time.time_ns()
    await transfers.put(f"transfer.{record.transfer_id}", record.model_dump_json().encode())
    claim = RequestClaim(fingerprint=fingerprint(request), transfer_id=record.transfer_id)
    await transfers.put(f"request.{alice}.crashed", claim.model_dump_json().encode())

    async with stub_as(alice) as as_alice:
        finished = (await as_alice.Transfer(request)).transfer
        again = (await as_alice.Transfer(request)).transfer

    assert finished.transfer_id == again.transfer_id == record.transfer_id
    assert finished.status == pb.TRANSFER_STATUS_COMPLETED
    account = await read_account(bank.staff, source.account_id)
    assert (account.balance.units, account.held.units) == (70, 0)
    assert await bank.balance(target.account_id) == 30 * UNIT
    events = await transfer_events(nats_client, record.transfer_id)
    assert [e["ce-id"] for e in events] == [f"{record.transfer_id}.COMPLETED"]
