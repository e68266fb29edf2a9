"""Money arithmetic: exact at every size, one sign per amount.

Before: orders and banking split whole nanos into units and nanos with a float division.
From 10^8 units up the float rounds: 100,000,000.999999999 came out as 100,000,001 units and
-1 nanos, opposite signs that google.type.Money forbids (and beyond, nanos went missing).
There were three money modules; now there is one (accord/money.py), integer only.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from acme.banking.v1 import banking_pb2 as bank
from acme.banking.v1 import banking_pb2_grpc as bank_grpc
from acme.inventory.v1 import inventory_pb2 as stock
from acme.inventory.v1 import inventory_pb2_grpc as stock_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from google.rpc import error_details_pb2

from accord.rpc_status import details_of
from tests.security.conftest import Platform

pytestmark = pytest.mark.e2e

BANK_STAFF = ("banking:read", "banking:write", "banking:admin")


async def test_large_amounts_keep_every_nano_and_one_sign(platform: Platform, unique: str) -> None:
    customer = f"rich-{unique}"
    async with platform.channel(customer, *BANK_STAFF) as channel:
        banking = bank_grpc.BankingServiceStub(channel)
        account = (
            await banking.OpenAccount(
                bank.OpenAccountRequest(customer_id=customer, currency_code="XPT")
            )
        ).account
        amount = bank.Money(currency_code="XPT", units=100_000_000, nanos=999_999_999)
        credited = await banking.Deposit(
            bank.DepositRequest(account_id=account.account_id, amount=amount, request_id=unique)
        )
        assert credited.account.balance == amount
        # The funding account's side of the posting is a debit: negative, both parts.
        entries = await banking.ListEntries(bank.ListEntriesRequest(account_id="funding-XPT"))
        [debit] = [e for e in entries.entries if e.posting_id == credited.posting_id]
        assert (debit.amount.units, debit.amount.nanos) == (-100_000_000, -999_999_999)

        # Units and nanos of opposite signs are refused, naming the field.
        mixed = bank.Money(currency_code="XPT", units=1, nanos=-5)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await banking.Deposit(
                bank.DepositRequest(account_id=account.account_id, amount=mixed, request_id="m")
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        bad = error_details_pb2.BadRequest()
        assert details_of(refused.value)[0].Unpack(bad)
        assert [v.field for v in bad.field_violations] == ["amount"]

    sku = f"GOLD-{uuid.uuid4().hex[:8]}"
    async with platform.channel("staff", "inventory:read", "inventory:admin") as channel:
        catalogue = stock_grpc.InventoryServiceStub(channel)
        await catalogue.SetStock(stock.SetStockRequest(sku=sku, available=1000))
        price = stock.Money(currency_code="USD", units=999_999, nanos=999_999_999)
        await catalogue.SetPrice(stock.SetPriceRequest(sku=sku, unit_price=price))
    async with platform.channel(customer, "orders:read", "orders:write") as channel:
        order = (
            await v2_grpc.OrderServiceStub(channel).PlaceOrder(
                v2.PlaceOrderRequest(
                    request_id=unique,
                    customer_id=customer,
                    lines=[v2.OrderLine(sku=sku, quantity=1000)],
                )
            )
        ).order
    # 1000 x 999,999.999999999 = 999,999,999.999999 exactly.
    assert order.total == v2.Money(currency_code="USD", units=999_999_999, nanos=999_999_000)
