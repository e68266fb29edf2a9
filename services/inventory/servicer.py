"""acme.inventory.v1.InventoryService: where an inventory call is served."""

import grpc
from acme.inventory.v1 import inventory_pb2 as pb
from acme.inventory.v1 import inventory_pb2_grpc as pb_grpc

from accord.access import Access
from accord.rpc_status import (
    RpcError,
    answers_rpc_errors,
    error_info,
    field_violation,
    invalid_argument,
)
from services.inventory.stock import SKU, Catalogue

Context = grpc.aio.ServicerContext[object, object]
ADMIN_SCOPE = "inventory:admin"
MAX_AVAILABLE = 1_000_000


class InventoryServiceV1(pb_grpc.InventoryServiceServicer):
    def __init__(self, catalogue: Catalogue, access: Access) -> None:
        self._catalogue = catalogue
        self._access = access

    @answers_rpc_errors
    async def GetStock(self, request: pb.GetStockRequest, context: Context) -> pb.GetStockResponse:
        _check_sku(request.sku)
        available = await self._catalogue.available(request.sku)
        if available is None:
            raise RpcError(
                grpc.StatusCode.NOT_FOUND,
                f"{request.sku} is not in the catalogue",
                error_info("SKU_NOT_FOUND", sku=request.sku),
            )
        return pb.GetStockResponse(stock=pb.Stock(sku=request.sku, available=available))

    @answers_rpc_errors
    async def SetStock(self, request: pb.SetStockRequest, context: Context) -> pb.SetStockResponse:
        # The gateway checks the policy's scope; checked again here because changing stock
        # is a staff act and this call may come from any holder of a signed principal.
        if not self._access.is_admin(self._access.caller(context)):
            raise RpcError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"setting stock needs {ADMIN_SCOPE}",
                error_info("SCOPE_REQUIRED", scope=ADMIN_SCOPE),
            )
        _check_sku(request.sku)
        if not 0 <= request.available <= MAX_AVAILABLE:
            raise invalid_argument(
                [field_violation("available", f"must be from 0 to {MAX_AVAILABLE:,}")]
            )
        await self._catalogue.set(request.sku, request.available)
        return pb.SetStockResponse(stock=pb.Stock(sku=request.sku, available=request.available))


def _check_sku(sku: str) -> None:
    if not SKU.fullmatch(sku):
        raise invalid_argument(
            [field_violation("sku", "must be 1 to 64 letters, digits, '-' or '_'")]
        )
