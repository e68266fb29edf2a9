"""Transfers are idempotent, never overdraw, and stay between their owners."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc

from accord.service import RunningService
from services.banking.ledger import FUNDING_OWNER, funding_account_id
from tests.integration.banking.conftest import Bank, Stub, StubAs, money
from tests.support.banking import UNIT, alice_and_bob, read_account, transfer

pytestmark = pytest.mark.integration


async def test_a_retried_transfer_returns_the_same_transfer_and_moves_money_once(
    bank: Bank, stub_as: StubAs, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 100)
    async with stub_as(alice) as as_alice:
        first = (await as_alice.Transfer(transfer("pay-rent", source, target, 30))).transfer
        retries = await asyncio.gather(
            *(as_alice.Transfer(transfer("pay-rent", source, target, 30)) for _ in range(3))
        )
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await as_alice.Transfer(transfer("pay-rent", source, target, 31))

    assert {reply.transfer.transfer_id for reply in retries} == {first.transfer_id}
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert await bank.balance(source.account_id) == 70 * UNIT
    assert await bank.balance(target.account_id) == 30 * UNIT


async def test_request_ids_belong_to_their_customer(
    bank: Bank, stub_as: StubAs, unique: str
) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    a, b = await bank.account(alice, 10), await bank.account(bob, 10)
    async with stub_as(alice) as as_alice, stub_as(bob) as as_bob:
        from_a = (await as_alice.Transfer(transfer("same", a, b, 1))).transfer
        from_b = (await as_bob.Transfer(transfer("same", b, a, 2))).transfer
    assert from_a.transfer_id != from_b.transfer_id
    assert from_b.status == pb.TRANSFER_STATUS_COMPLETED


async def test_a_transfer_that_would_overdraw_is_rejected_and_changes_nothing(
    bank: Bank, stub_as: StubAs, unique: str
) -> None:
    alice, source, target = await alice_and_bob(bank, unique, 50)
    async with stub_as(alice) as as_alice:
        refused = (await as_alice.Transfer(transfer("too-much", source, target, 51))).transfer
        account = await read_account(as_alice, source.account_id)

    assert (refused.status, refused.rule) == (
        pb.TRANSFER_STATUS_REJECTED,
        pb.SCREENING_RULE_INSUFFICIENT_FUNDS,
    )
    assert (account.balance.units, account.held.units, account.available.units) == (50, 0, 50)
    assert await bank.balance(target.account_id) == 0


async def test_concurrent_transfers_from_one_account_cannot_overdraw_it(
    bank: Bank, stub_as: StubAs, unique: str
) -> None:
    alice = f"alice-{unique}"
    source = await bank.account(alice, 100)
    targets = [await bank.account(f"payee{n}-{unique}") for n in range(4)]
    async with stub_as(alice) as as_alice:
        replies = await asyncio.gather(
            *(
                as_alice.Transfer(transfer(f"race-{n}", source, target, 40))
                for n, target in enumerate(targets)
            )
        )

    statuses = sorted(pb.TransferStatus.Name(reply.transfer.status) for reply in replies)
    assert statuses == ["TRANSFER_STATUS_COMPLETED"] * 2 + ["TRANSFER_STATUS_REJECTED"] * 2
    assert await bank.balance(source.account_id) == 20 * UNIT
    received = [await bank.balance(target.account_id) for target in targets]
    assert sorted(received) == [0, 0, 40 * UNIT, 40 * UNIT]


async def test_customers_cannot_see_or_spend_each_others_accounts(
    bank: Bank, stub_as: StubAs, unique: str
) -> None:
    alice, mallory = f"alice-{unique}", f"mallory-{unique}"
    a, m = await bank.account(alice, 100), await bank.account(mallory, 1)
    async with stub_as(alice) as as_alice:
        mine = (await as_alice.Transfer(transfer("t", a, m, 1))).transfer
    async with stub_as(mallory) as as_mallory:
        calls: dict[str, Awaitable[object]] = {
            "GetAccount": as_mallory.GetAccount(pb.GetAccountRequest(account_id=a.account_id)),
            "ListEntries": as_mallory.ListEntries(pb.ListEntriesRequest(account_id=a.account_id)),
            "GetTransfer": as_mallory.GetTransfer(
                pb.GetTransferRequest(transfer_id=mine.transfer_id)
            ),
            "Transfer": as_mallory.Transfer(transfer("steal", a, m, 50)),
        }
        codes = {}
        for name, call in calls.items():
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            codes[name] = refused.value.code()
        with pytest.raises(grpc.aio.AioRpcError) as opened:
            await as_mallory.OpenAccount(
                pb.OpenAccountRequest(customer_id=alice, currency_code="EUR")
            )
        with pytest.raises(grpc.aio.AioRpcError) as funded:
            await as_mallory.Deposit(
                pb.DepositRequest(
                    account_id=m.account_id, amount=money(m.currency_code, 9), request_id="x"
                )
            )

    assert codes == dict.fromkeys(calls, grpc.StatusCode.NOT_FOUND)
    assert opened.value.code() == funded.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await bank.balance(a.account_id) == 99 * UNIT


async def test_a_retried_deposit_credits_once_and_a_reused_id_is_refused(
    bank: Bank, staff: Stub, unique: str
) -> None:
    account = await bank.account(f"alice-{unique}")
    deposit = pb.DepositRequest(
        account_id=account.account_id,
        amount=money(account.currency_code, 25),
        request_id=f"d-{unique}",
    )
    first, again = await staff.Deposit(deposit), await staff.Deposit(deposit)
    deposit.amount.units = 26
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await staff.Deposit(deposit)

    assert first.posting_id == again.posting_id
    assert again.account.balance.units == 25
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_unsigned_calls_are_refused(banking_service: RunningService) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{banking_service.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await pb_grpc.BankingServiceStub(channel).GetAccount(
                pb.GetAccountRequest(account_id="x")
            )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_the_funding_accounts_are_for_staff_only(
    bank: Bank, stub_as: StubAs, staff: Stub, currency: str, unique: str
) -> None:
    await bank.account(
        f"someone-{unique}", 5
    )  # the first deposit in the currency opens its funding
    funding = funding_account_id(currency)
    async with stub_as(FUNDING_OWNER) as impostor:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await impostor.GetAccount(pb.GetAccountRequest(account_id=funding))
    books = await read_account(staff, funding)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert books.balance.units <= -5  # at least the 5 deposited here came from outside
