"""Money: a completed transfer or deposit is settled once, forever.

Before: the ledger skipped a posting leg only while its id was among the account's last 256
legs. After 256 later movements on the receiving account, replaying an old Transfer (same
request id, same content) credited it again, and so did a replayed Deposit: money out of
nothing, for anyone patient enough to retry an old request.
"""

from __future__ import annotations

import random
from collections import defaultdict

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc

from tests.security.conftest import Platform
from tests.support.banking import entries, nanos_of, read_account

pytestmark = pytest.mark.e2e

CUSTOMER = ("banking:read", "banking:write")
STAFF = ("banking:read", "banking:write", "banking:admin")
CURRENCY = "XTS"  # ISO 4217's code for testing: this test's postings alone
LATER_DEPOSITS = 300  # more than the 256 legs an account used to remember


async def _books(
    staff: pb_grpc.BankingServiceAsyncStub, account_ids: list[str]
) -> dict[str, tuple[int, int, int]]:
    """Each account's balance, held funds and number of entries; and the entries sum to the
    balance."""
    books = {}
    for account_id in account_ids:
        account = await read_account(staff, account_id)
        posted = await entries(staff, account_id)
        assert nanos_of(account.balance) == sum(nanos_of(e.amount) for e in posted)
        books[account_id] = (nanos_of(account.balance), nanos_of(account.held), len(posted))
    return books


async def test_replaying_every_request_of_a_long_history_moves_no_money(
    platform: Platform, unique: str
) -> None:
    names = [f"{name}-{unique}" for name in ("alice", "bob", "carol", "dave")]
    async with platform.channel("staff", *STAFF) as staff_channel:
        staff = pb_grpc.BankingServiceStub(staff_channel)
        accounts: dict[str, str] = {}
        for name in names:
            async with platform.channel(name, *CUSTOMER) as channel:
                opened = await pb_grpc.BankingServiceStub(channel).OpenAccount(
                    pb.OpenAccountRequest(customer_id=name, currency_code=CURRENCY)
                )
            accounts[name] = opened.account.account_id

        history: list[tuple[str, object]] = []  # (who, request), to replay

        async def deposit(name: str, units: int, request_id: str) -> None:
            request = pb.DepositRequest(
                account_id=accounts[name],
                amount=pb.Money(currency_code=CURRENCY, units=units),
                request_id=request_id,
            )
            await staff.Deposit(request)
            history.append(("staff", request))

        async def transfer(sender: str, receiver: str, units: int, request_id: str) -> pb.Transfer:
            request = pb.TransferRequest(
                request_id=request_id,
                from_account_id=accounts[sender],
                to_account_id=accounts[receiver],
                amount=pb.Money(currency_code=CURRENCY, units=units),
            )
            async with platform.channel(sender, *CUSTOMER) as channel:
                reply = await pb_grpc.BankingServiceStub(channel).Transfer(request)
            history.append((sender, request))
            return reply.transfer

        for name in names:
            await deposit(name, 1_000, f"open-{name}")
        # The attack of the issue: alice pays bob once; bob's account then sees more than
        # 256 movements; the payment is replayed.
        alice, bob = names[0], names[1]
        paid = await transfer(alice, bob, 100, "pay-bob")
        assert paid.status == pb.TRANSFER_STATUS_COMPLETED
        for n in range(LATER_DEPOSITS):
            await deposit(bob, 1, f"later-{n}")
        # And a random history around it: transfers (velocity screening allows 5 per account
        # in 10 minutes), some held for review and decided by staff.
        rng = random.Random(10)
        sent: dict[str, int] = defaultdict(int, {alice: 1})
        outcomes: dict[int, int] = defaultdict(int)
        for step in range(16):
            sender, receiver = rng.sample(names, 2)
            if sent[sender] >= 5:
                continue
            sent[sender] += 1
            done = await transfer(sender, receiver, rng.choice([3, 40, 600, 2_000]), f"t{step}")
            outcomes[done.status] += 1
            if done.status == pb.TRANSFER_STATUS_HELD_FOR_REVIEW:
                review = pb.ReviewTransferRequest(
                    transfer_id=done.transfer_id, approve=rng.random() < 0.5
                )
                await staff.ReviewTransfer(review)
                history.append(("staff", review))
        assert outcomes[pb.TRANSFER_STATUS_COMPLETED] >= 3

        ids = list(accounts.values())
        before = await _books(staff, ids)
        bob_before = before[accounts[bob]][0]

        for who, request in history:  # every request again, the oldest first
            if isinstance(request, pb.TransferRequest):
                async with platform.channel(who, *CUSTOMER) as channel:
                    again = await pb_grpc.BankingServiceStub(channel).Transfer(request)
                assert again.transfer.status != pb.TRANSFER_STATUS_PENDING
            elif isinstance(request, pb.DepositRequest):
                await staff.Deposit(request)
            else:
                assert isinstance(request, pb.ReviewTransferRequest)
                try:
                    await staff.ReviewTransfer(request)
                except grpc.aio.AioRpcError as decided:  # decided otherwise since: unchanged
                    if decided.code() != grpc.StatusCode.FAILED_PRECONDITION:
                        raise

        after = await _books(staff, ids)
        assert after == before
        assert after[accounts[bob]][0] == bob_before  # the old payment was not paid twice
        # The bank's books balance: the funding account is this test's currency alone.
        funding = (await _books(staff, [f"funding-{CURRENCY}"]))[f"funding-{CURRENCY}"]
        assert funding[0] + sum(balance for balance, _, _ in after.values()) == 0
