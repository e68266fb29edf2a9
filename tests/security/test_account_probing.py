"""Probing: no answer tells a customer whether someone else's account exists, or its currency.

Before: a Transfer to another customer's account in another currency answered
FAILED_PRECONDITION "account <id> is in USD, not EUR": proof that the account exists, and
its currency, for anyone who tried ids.
"""

from __future__ import annotations

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2

from accord.rpc_status import details_of
from tests.security.conftest import Platform

pytestmark = pytest.mark.e2e

CUSTOMER = ("banking:read", "banking:write")


async def _answer(call: object) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    """The code, the message and the ErrorInfo of a refused call, with the account id named
    in them replaced, so that answers about different ids compare."""
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    info = error_details_pb2.ErrorInfo()
    assert any(d.Unpack(info) for d in details_of(refused.value))
    metadata = dict(info.metadata)
    account_id = metadata.pop("id")
    message = (refused.value.details() or "").replace(account_id, "<id>")
    return refused.value.code(), f"{info.reason}: {message}", metadata


async def _account(platform: Platform, customer: str, currency: str) -> str:
    async with platform.channel(customer, *CUSTOMER) as channel:
        opened = await pb_grpc.BankingServiceStub(channel).OpenAccount(
            pb.OpenAccountRequest(customer_id=customer, currency_code=currency)
        )
    return opened.account.account_id


async def test_someone_elses_account_answers_exactly_like_a_missing_one(
    platform: Platform, unique: str
) -> None:
    mallory, bob = f"mallory-{unique}", f"bob-{unique}"
    mine = await _account(platform, mallory, "EUR")
    bobs_usd = await _account(platform, bob, "USD")
    missing = f"acc{unique}"
    async with platform.channel("staff", "banking:admin") as staff_channel:
        await pb_grpc.BankingServiceStub(staff_channel).Deposit(
            pb.DepositRequest(
                account_id=mine,
                amount=pb.Money(currency_code="EUR", units=50),
                request_id=f"fund-{unique}",
            )
        )

    async with platform.channel(mallory, *CUSTOMER) as channel:
        bank = pb_grpc.BankingServiceStub(channel)
        answers = {}
        for name, target in (("bob's USD account", bobs_usd), ("no account", missing)):
            transfer = pb.TransferRequest(
                request_id=f"probe-{target}",
                from_account_id=mine,
                to_account_id=target,
                amount=pb.Money(currency_code="EUR", units=1),
            )
            answers[name] = [
                await _answer(bank.Transfer(transfer)),
                await _answer(bank.GetAccount(pb.GetAccountRequest(account_id=target))),
                await _answer(bank.ListEntries(pb.ListEntriesRequest(account_id=target))),
                # Spending from it, as if it were hers.
                await _answer(
                    bank.Transfer(
                        pb.TransferRequest(
                            request_id=f"spend-{target}",
                            from_account_id=target,
                            to_account_id=mine,
                            amount=pb.Money(currency_code="USD", units=1),
                        )
                    )
                ),
            ]
    assert answers["bob's USD account"] == answers["no account"]
    assert {code for code, _, _ in answers["no account"]} == {grpc.StatusCode.NOT_FOUND}
    assert not any("USD" in text for _, text, _ in answers["bob's USD account"])
