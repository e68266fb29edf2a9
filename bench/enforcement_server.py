"""A bench-only gRPC server: orders v2 GetOrder answering a fixed order, with or without the
platform's contract-enforcement interceptor, so that the interceptor's cost per call can be
read from the server's CPU time. `python -m bench.enforcement_server PORT HOME on|off`."""

import asyncio
import sys
from pathlib import Path
from typing import Any

import grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc

from accord.auth import AuthSettings
from accord.enforcement import ContractEnforcement
from accord.tooling import devkeys

SERVICE = "acme.orders.v2.OrderService"


class FixedOrders(v2_grpc.OrderServiceServicer):
    async def GetOrder(self, request: v2.GetOrderRequest, context: Any) -> v2.GetOrderResponse:
        return v2.GetOrderResponse(order=v2.Order(order_id=request.order_id, customer_id="bench"))


async def serve(port: int, home: Path, enforce: bool) -> None:
    interceptors = []
    if enforce:
        auth = AuthSettings.model_validate({"ACCORD_HOME": str(home)})
        interceptors.append(
            ContractEnforcement.for_services(
                [SERVICE], auth, devkeys.principal_public_key_path(home)
            )
        )
    server = grpc.aio.server(interceptors=interceptors)
    servicer = FixedOrders()  # type: ignore[abstract]  # GetOrder only
    v2_grpc.add_OrderServiceServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "on"))
