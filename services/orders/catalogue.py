"""What an order costs, from the catalogue that owns the prices: inventory's, never the caller.

Orders asks inventory's GetPrices through the gateway as itself (`svc-orders`, scope
inventory:read; accord.gateway_client), so inventory's contract decides what it may read.
A customer may still send the price they saw (`unit_price`): it is compared with the
catalogue's and refused when it differs (FAILED_PRECONDITION, PRICE_CHANGED, a
PreconditionFailure per line naming the catalogue's price), so nobody pays a price they did
not see and nobody sets their own.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import grpc
from acme.inventory.v1 import inventory_pb2 as inventory
from acme.inventory.v1 import inventory_pb2_grpc as inventory_grpc
from acme.orders.v2 import orders_pb2 as v2
from google.rpc import error_details_pb2

from accord import money
from accord.rpc_status import RpcError, error_info, field_violation, invalid_argument
from accord.validation import check
from services.orders.validation import total_violations

SCOPES = ("inventory:read",)
# The catalogue's SKU alphabet: a SKU outside it is not for sale, and is not asked about.
_SKU = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Answers of the catalogue that a retry of PlaceOrder may get past.
_PASSING = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


@dataclass(frozen=True)
class UnitPrice:
    currency: str
    nanos: int


class Catalogue(Protocol):
    async def prices(self, skus: Sequence[str]) -> dict[str, UnitPrice]:
        """The price of one unit of each product the catalogue sells among `skus`."""
        ...


class InventoryCatalogue:
    """inventory.GetPrices, through the gateway, with a deadline."""

    def __init__(self, channel: grpc.aio.Channel, timeout_seconds: float) -> None:
        self._stub = inventory_grpc.InventoryServiceStub(channel)
        self._timeout = timeout_seconds

    async def prices(self, skus: Sequence[str]) -> dict[str, UnitPrice]:
        if not skus:
            return {}  # nothing the catalogue could sell: no need to ask
        try:
            reply = await self._stub.GetPrices(
                inventory.GetPricesRequest(skus=sorted(set(skus))), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            passing = error.code() in _PASSING
            raise RpcError(
                grpc.StatusCode.UNAVAILABLE if passing else grpc.StatusCode.INTERNAL,
                "the catalogue cannot price this order now" + ("; try again" if passing else ""),
                error_info("CATALOGUE_UNAVAILABLE", catalogue_status=error.code().name),
            ) from error
        return {
            price.sku: UnitPrice(
                price.unit_price.currency_code, money.to_nanos(price.unit_price, "unit_price")
            )
            for price in reply.prices
        }


async def priced_lines(
    catalogue: Catalogue, request: v2.PlaceOrderRequest, currency: str | None = None
) -> list[v2.OrderLine]:
    """The request's lines at the catalogue's prices; INVALID_ARGUMENT for a product that is
    not for sale (or not in `currency`, when one is required), FAILED_PRECONDITION for a
    price given that is not the catalogue's."""
    lines = list(request.lines)
    prices = await catalogue.prices([line.sku for line in lines if _SKU.fullmatch(line.sku)])
    violations = []
    for index, line in enumerate(lines):
        price = prices.get(line.sku)
        if price is None:
            violations.append(
                field_violation(f"lines[{index}].sku", "is not for sale: not in the catalogue")
            )
        elif currency is not None and price.currency != currency:
            violations.append(
                field_violation(
                    f"lines[{index}].sku",
                    f"is priced in {price.currency}, and this API version orders in "
                    f"{currency} only: use acme.orders.v2",
                )
            )
    check(violations)
    currencies = sorted({prices[line.sku].currency for line in lines})
    if len(currencies) > 1:
        raise invalid_argument(
            [
                field_violation(
                    "lines",
                    f"the products are priced in {' and '.join(currencies)}: an order is paid "
                    "in one currency, order them separately",
                )
            ]
        )
    _refuse_other_prices(lines, prices)
    too_much = total_violations([line.quantity * prices[line.sku].nanos for line in lines])
    check(too_much)
    return [
        v2.OrderLine(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=money.to_money(
                v2.Money,
                prices[line.sku].currency,
                prices[line.sku].nanos,
                f"lines[{index}].unit_price",
            ),
        )
        for index, line in enumerate(lines)
    ]


def _refuse_other_prices(lines: list[v2.OrderLine], prices: dict[str, UnitPrice]) -> None:
    """FAILED_PRECONDITION naming every line whose given price is not the catalogue's."""
    differ = []
    for index, line in enumerate(lines):
        if not line.HasField("unit_price"):
            continue
        price = prices[line.sku]
        given = money.to_nanos(line.unit_price, f"lines[{index}].unit_price")
        if (line.unit_price.currency_code, given) != (price.currency, price.nanos):
            differ.append(
                error_details_pb2.PreconditionFailure.Violation(
                    type="PRICE",
                    subject=f"lines[{index}].unit_price",
                    description=f"the catalogue's price of {line.sku} is "
                    f"{money.format_amount(price.currency, price.nanos)}",
                )
            )
    if differ:
        raise RpcError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "the prices given are not the catalogue's: "
            + "; ".join(f"{v.subject}: {v.description}" for v in differ),
            error_details_pb2.PreconditionFailure(violations=differ),
            error_info("PRICE_CHANGED", lines=",".join(v.subject for v in differ)),
        )
