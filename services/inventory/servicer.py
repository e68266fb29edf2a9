"""acme.inventory.v1.InventoryService: where an inventory call is served."""

from dataclasses import dataclass

import grpc
from acme.inventory.v1 import inventory_pb2 as pb
from acme.inventory.v1 import inventory_pb2_grpc as pb_grpc

from accord import money
from accord.access import Access
from accord.rpc_status import (
    RpcError,
    error_info,
    field_violation,
    invalid_argument,
)
from accord.validation import Violations, check, currency_violations
from services.inventory.stock import SKU, Catalogue, UnitPrice

Context = grpc.aio.ServicerContext[object, object]
MAX_AVAILABLE = 1_000_000
MAX_SKUS_PRICED = 100  # an order's lines at most
# A unit price of at most a million: times an order's quantities it stays far inside Money.
MAX_PRICE_UNITS = 1_000_000


@dataclass(frozen=True, slots=True)
class InventoryServiceV1(pb_grpc.InventoryServiceServicer):
    catalogue: Catalogue
    access: Access

    def _staff_only(self, context: Context, act: str) -> None:
        """The gateway checks the policy's scope; checked again here because changing the
        catalogue is a staff act and the call may come from any holder of a signed principal."""
        if not self.access.is_admin(self.access.caller(context)):
            raise RpcError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{act} needs {self.access.admin_scope}",
                error_info("SCOPE_REQUIRED", scope=self.access.admin_scope),
            )

    async def GetStock(self, request: pb.GetStockRequest, context: Context) -> pb.GetStockResponse:
        _check_sku(request.sku)
        available = await self.catalogue.available(request.sku)
        if available is None:
            raise _not_in_catalogue(request.sku)
        return pb.GetStockResponse(stock=pb.Stock(sku=request.sku, available=available))

    async def SetStock(self, request: pb.SetStockRequest, context: Context) -> pb.SetStockResponse:
        self._staff_only(context, "setting stock")
        _check_sku(request.sku)
        if not 0 <= request.available <= MAX_AVAILABLE:
            raise invalid_argument(
                [field_violation("available", f"must be from 0 to {MAX_AVAILABLE:,}")]
            )
        await self.catalogue.set(request.sku, request.available)
        return pb.SetStockResponse(stock=pb.Stock(sku=request.sku, available=request.available))

    async def GetPrices(
        self, request: pb.GetPricesRequest, context: Context
    ) -> pb.GetPricesResponse:
        if not 1 <= len(request.skus) <= MAX_SKUS_PRICED:
            raise invalid_argument(
                [field_violation("skus", f"must name 1 to {MAX_SKUS_PRICED} products")]
            )
        for index, sku in enumerate(request.skus):
            _check_sku(sku, f"skus[{index}]")
        prices = await self.catalogue.prices(list(request.skus))
        return pb.GetPricesResponse(prices=[_price_pb(sku, price) for sku, price in prices.items()])

    async def SetPrice(self, request: pb.SetPriceRequest, context: Context) -> pb.SetPriceResponse:
        self._staff_only(context, "setting prices")
        _check_sku(request.sku)
        check(_price_violations(request.unit_price))
        price = UnitPrice(
            request.unit_price.currency_code, money.to_nanos(request.unit_price, "unit_price")
        )
        if not await self.catalogue.set_price(request.sku, price):
            raise _not_in_catalogue(request.sku)
        return pb.SetPriceResponse(price=_price_pb(request.sku, price))


def _check_sku(sku: str, field: str = "sku") -> None:
    if not SKU.fullmatch(sku):
        raise invalid_argument(
            [field_violation(field, "must be 1 to 64 letters, digits, '-' or '_'")]
        )


def _not_in_catalogue(sku: str) -> RpcError:
    return RpcError(
        grpc.StatusCode.NOT_FOUND,
        f"{sku} is not in the catalogue",
        error_info("SKU_NOT_FOUND", sku=sku),
    )


def _price_violations(price: pb.Money) -> Violations:
    violations = currency_violations("unit_price.currency_code", price.currency_code)
    if not (0 <= price.units <= MAX_PRICE_UNITS and 0 <= price.nanos < money.NANOS_PER_UNIT) or (
        price.units == 0 and price.nanos == 0
    ):
        violations.append(
            field_violation(
                "unit_price",
                f"must be positive, at most {MAX_PRICE_UNITS:,} units; nanos 0 to 999,999,999",
            )
        )
    return violations


def _price_pb(sku: str, price: UnitPrice) -> pb.Price:
    unit_price = money.to_money(pb.Money, price.currency, price.nanos, "unit_price")
    return pb.Price(sku=sku, unit_price=unit_price)
