"""Banking behind the real gateway: tokens, scopes from the contract, owners, NOT_FOUND.

The gateway reads the policies from the compiled contracts (gen/python/contracts.binpb),
checks the token and the owner of OpenAccount, and signs the principal the service checks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc

from accord.service import RunningService
from accord.tooling import devkeys
from gateway.server import Gateway
from tests.integration.banking.conftest import money
from tests.support.banking import transfer
from tests.support.gateways import gateway_running, gateway_settings

pytestmark = pytest.mark.integration


@pytest.fixture
async def gateway(banking_service: RunningService, accord_home: Path) -> AsyncIterator[Gateway]:
    devkeys.ensure_dev_keys(accord_home)  # the token key beside the principal key
    routes = {"acme.banking": banking_service.port}
    async with gateway_running(gateway_settings(routes, {"ACCORD_HOME": str(accord_home)})) as gw:
        yield gw


async def test_two_customers_through_the_gateway(
    gateway: Gateway, accord_home: Path, currency: str, unique: str
) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"

    def as_(subject: str, *scopes: str) -> list[tuple[str, str]]:
        bearer = devkeys.mint_token(subject, scopes, home=accord_home)
        return [("authorization", f"Bearer {bearer}")]

    customer = ("banking:read", "banking:write")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        bank = pb_grpc.BankingServiceStub(channel)
        a = (
            await bank.OpenAccount(
                pb.OpenAccountRequest(customer_id=alice, currency_code=currency),
                metadata=as_(alice, *customer),
            )
        ).account
        b = (
            await bank.OpenAccount(
                pb.OpenAccountRequest(customer_id=bob, currency_code=currency),
                metadata=as_(bob, *customer),
            )
        ).account
        await bank.Deposit(
            pb.DepositRequest(
                account_id=a.account_id, amount=money(currency, 10), request_id=unique
            ),
            metadata=as_("staff", "banking:admin"),
        )
        sent = (
            await bank.Transfer(transfer("r", a, b, 4), metadata=as_(alice, *customer))
        ).transfer

        refusals = {}
        calls: dict[str, Awaitable[object]] = {
            # The gateway's owner check: bob cannot open an account in alice's name.
            "open for another": bank.OpenAccount(
                pb.OpenAccountRequest(customer_id=alice, currency_code=currency),
                metadata=as_(bob, *customer),
            ),
            # The contract's scopes: a customer cannot fund accounts.
            "deposit": bank.Deposit(
                pb.DepositRequest(
                    account_id=b.account_id, amount=money(currency, 5), request_id="x"
                ),
                metadata=as_(bob, *customer),
            ),
            # The service's owner checks, behind the gateway.
            "read": bank.GetAccount(
                pb.GetAccountRequest(account_id=a.account_id), metadata=as_(bob, *customer)
            ),
            "spend": bank.Transfer(transfer("steal", a, b, 1), metadata=as_(bob, *customer)),
            "no token": bank.GetAccount(pb.GetAccountRequest(account_id=a.account_id)),
        }
        for name, call in calls.items():
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            refusals[name] = refused.value.code()
        mine = (
            await bank.GetAccount(
                pb.GetAccountRequest(account_id=a.account_id), metadata=as_(alice, *customer)
            )
        ).account

    assert sent.status == pb.TRANSFER_STATUS_COMPLETED
    assert mine.balance.units == 6
    assert refusals == {
        "open for another": grpc.StatusCode.PERMISSION_DENIED,
        "deposit": grpc.StatusCode.PERMISSION_DENIED,
        "read": grpc.StatusCode.NOT_FOUND,
        "spend": grpc.StatusCode.NOT_FOUND,
        "no token": grpc.StatusCode.UNAUTHENTICATED,
    }
