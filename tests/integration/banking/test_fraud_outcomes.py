"""Each fraud outcome ends as the contract says, with its event published once."""

from __future__ import annotations

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as pb
from nats.aio.client import Client as NatsClient

from services.banking import screening
from tests.integration.banking.conftest import Bank, Stub, StubAs, transfer_events
from tests.support.banking import UNIT, alice_and_bob, read_account, review, transfer

pytestmark = pytest.mark.integration


async def test_an_ordinary_transfer_completes_and_is_announced_once(
    bank: Bank, stub_as: StubAs, nats_client: NatsClient, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 100)
    async with stub_as(alice) as as_alice:
        done = (await as_alice.Transfer(transfer("t1", source, target, 40))).transfer
        # A retry publishes again with the same event id: the stream keeps one.
        await as_alice.Transfer(transfer("t1", source, target, 40))

    assert done.status == pb.TRANSFER_STATUS_COMPLETED
    assert done.rule == pb.SCREENING_RULE_PASSED
    assert await bank.balance(source.account_id) == 60 * UNIT
    assert await bank.balance(target.account_id) == 40 * UNIT
    events = await transfer_events(nats_client, done.transfer_id)
    assert len(events) == 1
    event = events[0]
    assert event["ce-id"] == f"{done.transfer_id}.COMPLETED"
    assert {k: v for k, v in event.items() if k not in ("changedAt", "ce-id")} == {
        "transferId": done.transfer_id,
        "customerId": alice,
        "fromAccountId": source.account_id,
        "toAccountId": target.account_id,
        "amount": {"currency": source.currency_code, "units": 40, "nanos": 0},
        "status": "COMPLETED",
        "rule": "PASSED",
        "reason": "Transfer completed.",
    }


async def test_a_large_first_payment_to_a_new_payee_is_held_then_approved(
    bank: Bank, stub_as: StubAs, staff: Stub, nats_client: NatsClient, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 900)
    units = screening.NEW_PAYEE_THRESHOLD // UNIT + 100  # above the new-payee threshold
    async with stub_as(alice) as as_alice:
        held = (await as_alice.Transfer(transfer("big", source, target, units))).transfer
        account = await read_account(as_alice, source.account_id)

    assert (held.status, held.rule) == (
        pb.TRANSFER_STATUS_HELD_FOR_REVIEW,
        pb.SCREENING_RULE_NEW_PAYEE,
    )
    # Reserved, not posted: the balance is whole, what can be spent is not.
    assert (account.balance.units, account.held.units, account.available.units) == (
        900,
        units,
        900 - units,
    )
    assert await bank.balance(target.account_id) == 0

    approved = await review(staff, held.transfer_id, approve=True)
    again = await review(staff, held.transfer_id, approve=True)

    assert approved.status == again.status == pb.TRANSFER_STATUS_COMPLETED
    assert approved.rule == pb.SCREENING_RULE_REVIEW_APPROVED
    assert await bank.balance(source.account_id) == (900 - units) * UNIT
    assert await bank.balance(target.account_id) == units * UNIT
    events = await transfer_events(nats_client, held.transfer_id)
    assert [(e["ce-id"], e["status"], e["rule"], e.get("previousStatus")) for e in events] == [
        (f"{held.transfer_id}.HELD_FOR_REVIEW", "HELD_FOR_REVIEW", "NEW_PAYEE", None),
        (f"{held.transfer_id}.COMPLETED", "COMPLETED", "REVIEW_APPROVED", "HELD_FOR_REVIEW"),
    ]


async def test_an_amount_far_above_history_is_held_and_a_refusal_releases_the_funds(
    bank: Bank, stub_as: StubAs, staff: Stub, nats_client: NatsClient, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 5_000)
    async with stub_as(alice) as as_alice:
        first = (await as_alice.Transfer(transfer("small", source, target, 100))).transfer
        # Above the floor and more than 5 times the largest earlier transfer (100).
        big = (await as_alice.Transfer(transfer("big", source, target, 1_200))).transfer

    assert first.status == pb.TRANSFER_STATUS_COMPLETED
    assert (big.status, big.rule) == (
        pb.TRANSFER_STATUS_HELD_FOR_REVIEW,
        pb.SCREENING_RULE_AMOUNT_AGAINST_HISTORY,
    )
    refused = await review(staff, big.transfer_id, approve=False)
    account = await read_account(staff, source.account_id)

    assert (refused.status, refused.rule) == (
        pb.TRANSFER_STATUS_REJECTED,
        pb.SCREENING_RULE_REVIEW_REJECTED,
    )
    assert (account.balance.units, account.held.units) == (4_900, 0)
    events = await transfer_events(nats_client, big.transfer_id)
    assert [(e["status"], e["rule"]) for e in events] == [
        ("HELD_FOR_REVIEW", "AMOUNT_AGAINST_HISTORY"),
        ("REJECTED", "REVIEW_REJECTED"),
    ]


async def test_a_burst_of_transfers_is_rejected_for_velocity_and_posts_nothing(
    bank: Bank, stub_as: StubAs, nats_client: NatsClient, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 100)
    async with stub_as(alice) as as_alice:
        replies = [
            (await as_alice.Transfer(transfer(f"t{n}", source, target, 1))).transfer
            for n in range(screening.MAX_RECENT_TRANSFERS + 1)
        ]

    *allowed, burst = replies
    assert {t.status for t in allowed} == {pb.TRANSFER_STATUS_COMPLETED}
    assert (burst.status, burst.rule) == (pb.TRANSFER_STATUS_REJECTED, pb.SCREENING_RULE_VELOCITY)
    assert await bank.balance(source.account_id) == (100 - len(allowed)) * UNIT
    events = await transfer_events(nats_client, burst.transfer_id)
    assert [(e["ce-id"], e["status"], e["rule"]) for e in events] == [
        (f"{burst.transfer_id}.REJECTED", "REJECTED", "VELOCITY")
    ]


async def test_reviewing_a_transfer_that_is_not_held_fails_its_precondition(
    bank: Bank, stub_as: StubAs, staff: Stub, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 10)
    async with stub_as(alice) as as_alice:
        done = (await as_alice.Transfer(transfer("t", source, target, 1))).transfer
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await review(staff, done.transfer_id, approve=False)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
