"""Backends: round-robin over the healthy ones, a failing one skipped until it recovers, and
an unreachable one reported by service name; the gateway's health follows them."""

from collections import Counter
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import ErrorInfo
from grpc_health.v1 import health_pb2, health_pb2_grpc

from accord.ports import free_port
from tests.integration.gateway.calls import Echo, echo_at
from tests.integration.gateway.conftest import V3, StartGateway
from tests.integration.gateway.echo_backend import EchoBackend
from tests.support.status import detail
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]  # message classes made at run time from the test image
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _who_answers(echo: Echo, calls: int) -> Counter[str]:
    answered: Counter[str] = Counter()
    for _ in range(calls):
        call = echo.unary()(echo.request())
        await call
        answered[str(dict(await call.initial_metadata())["x-backend"])] += 1
    return answered


async def test_calls_are_balanced_and_an_unhealthy_backend_is_skipped_until_it_recovers(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    async with EchoBackend("b", *echo_types).serving() as other:
        gateway = await start_gateway({"accordtest.echo": [backend.address, other.address]})
        async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
            assert await _who_answers(echo, 4) == Counter({"a": 2, "b": 2})

            await other.set_serving(False)

            async def only_a() -> bool:
                return set(await _who_answers(echo, 4)) == {"a"}

            await eventually(only_a)
            await other.set_serving(True)

            async def both() -> bool:
                return set(await _who_answers(echo, 4)) == {"a", "b"}

            await eventually(both)


async def test_an_unreachable_backend_gets_unavailable_naming_the_service(
    start_gateway: StartGateway, echo_types: Types
) -> None:
    port = free_port()
    gateway = await start_gateway(
        {"accordtest.echo": [f"127.0.0.1:{port}"]}, health_check_interval_s=60
    )
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await echo.unary()(echo.request())
    error = raised.value
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert V3 in (error.details() or "")
    assert str(port) not in (error.details() or "")
    info = detail(error, ErrorInfo)
    assert info.reason == "BACKEND_UNAVAILABLE"
    assert info.metadata["service"] == V3
    assert str(port) not in str(info.metadata)


async def test_a_backend_that_comes_back_is_used_again(
    start_gateway: StartGateway, echo_types: Types
) -> None:
    port = free_port()
    gateway = await start_gateway({"accordtest.echo": [f"127.0.0.1:{port}"]})
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        with pytest.raises(grpc.aio.AioRpcError):
            await echo.unary()(echo.request())

        async def answers() -> bool:
            try:
                await echo.unary()(echo.request())
            except grpc.aio.AioRpcError:
                return False
            return True

        async with EchoBackend("late", *echo_types).serving(port):
            await eventually(answers)


async def test_gateway_health_follows_backend_health(
    start_gateway: StartGateway, backend: EchoBackend
) -> None:
    gateway = await start_gateway({"accordtest.echo": [backend.address]})
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)

        async def status(service: str) -> int:
            request = health_pb2.HealthCheckRequest(service=service)
            response: health_pb2.HealthCheckResponse = await health.Check(request)
            return int(response.status)

        assert await status("") == SERVING
        assert await status(V3) == SERVING
        await backend.set_serving(False)

        async def down() -> bool:
            return bool(await status(V3) == NOT_SERVING and await status("") == NOT_SERVING)

        await eventually(down)
        await backend.set_serving(True)

        async def up() -> bool:
            return bool(await status(V3) == SERVING and await status("") == SERVING)

        await eventually(up)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await status("accordtest.echo.v1.EchoService")  # sunset: not served
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_backend_that_dies_between_health_checks_is_reported_and_skipped(
    start_gateway: StartGateway, echo_types: Types
) -> None:
    doomed = EchoBackend("doomed", *echo_types)
    await doomed.start()
    gateway = await start_gateway(
        {"accordtest.echo": [doomed.address]}, health_check_interval_s=600
    )
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        await echo.unary()(echo.request())
        await doomed.stop()
        failures = []
        for _ in range(2):  # the failed call, then the backend marked down
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await echo.unary()(echo.request())
            failures.append(raised.value)
    # The call that finds it gone gets Envoy's view of the reset (UNAVAILABLE); the next is
    # refused at once, naming the service and not the address.
    assert failures[0].code() == grpc.StatusCode.UNAVAILABLE
    error = failures[1]
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert (error.details() or "").startswith(f"{V3} is unavailable")
    assert doomed.address not in (error.details() or "")
    assert detail(error, ErrorInfo).metadata["service"] == V3
