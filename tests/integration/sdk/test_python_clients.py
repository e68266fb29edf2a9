"""The Python SDK's clients against real gRPC servers on loopback that misbehave on purpose:
retries only where the contract allows them (and after the server's RetryInfo delay),
typed errors with their details, deprecation notices, default deadlines, and a stream
that resumes from its cursor after the connection breaks."""

import asyncio
import itertools
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme_sdk import (
    Acme,
    ApiError,
    AsyncAcme,
    InvalidArgumentError,
    NotFoundError,
    RetryPolicy,
    UnavailableError,
)
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from accord.rpc_status import RpcError, abort, error_info, field_violation, invalid_argument

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)


def _unavailable(delay_ms: int | None = None) -> RpcError:
    details: list[Any] = [error_info("BACKEND_DOWN")]
    if delay_ms is not None:
        delay = duration_pb2.Duration(nanos=delay_ms * 1_000_000)
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    return RpcError(grpc.StatusCode.UNAVAILABLE, "try again", *details)


class Orders(v2_grpc.OrderServiceServicer):
    """Fails the first `failures` calls of each method with UNAVAILABLE, then answers."""

    def __init__(self, failures: int, delay_ms: int | None = None) -> None:
        self.failures = failures
        self.delay_ms = delay_ms
        self.calls: dict[str, list[float]] = {}
        self.timeouts: list[float | None] = []

    async def _count(self, name: str, context: Any) -> None:
        self.calls.setdefault(name, []).append(time.monotonic())
        self.timeouts.append(context.time_remaining())
        if len(self.calls[name]) <= self.failures:
            await abort(context, _unavailable(self.delay_ms))

    async def GetOrder(self, request: v2.GetOrderRequest, context: Any) -> v2.GetOrderResponse:
        await self._count("GetOrder", context)
        if request.order_id == "announced":  # a version deprecated after the SDK was made
            await context.send_initial_metadata(
                (
                    ("deprecation", "@1798761600"),
                    ("link", '<urn:acme.orders.v3>; rel="successor-version"'),
                )
            )
        if request.order_id == "missing":
            await abort(
                context,
                RpcError(
                    grpc.StatusCode.NOT_FOUND,
                    "order missing not found",
                    error_info("ORDER_NOT_FOUND", id="missing"),
                ),
            )
        return v2.GetOrderResponse(order=v2.Order(order_id=request.order_id))

    async def CancelOrder(
        self, request: v2.CancelOrderRequest, context: Any
    ) -> v2.CancelOrderResponse:
        await self._count("CancelOrder", context)
        return v2.CancelOrderResponse(order=v2.Order(order_id=request.order_id))

    async def PlaceOrder(
        self, request: v2.PlaceOrderRequest, context: Any
    ) -> v2.PlaceOrderResponse:
        await abort(context, invalid_argument([field_violation("lines", "at least one line")]))
        raise AssertionError


class OrdersV1(v1_grpc.OrderServiceServicer):
    """Answers like the edge does for a deprecated version: with lifecycle headers."""

    async def GetOrder(self, request: v1.GetOrderRequest, context: Any) -> v1.GetOrderResponse:
        await context.send_initial_metadata(
            (("deprecation", "@1793491200"), ("sunset", "Wed, 30 Jun 2027 00:00:00 GMT"))
        )
        return v1.GetOrderResponse(order=v1.Order(order_id=request.order_id))

    async def CancelOrder(
        self, request: v1.CancelOrderRequest, context: Any
    ) -> v1.CancelOrderResponse:
        await abort(context, _unavailable())
        raise AssertionError


class Notifications(notes_grpc.NotificationServiceServicer):
    """Streams cursors 10, 20, 30, ... and breaks the connection after every second one."""

    def __init__(self) -> None:
        self.requests: list[int] = []

    async def Subscribe(
        self, request: notes.SubscribeRequest, context: Any
    ) -> AsyncIterator[notes.SubscribeResponse]:
        self.requests.append(request.cursor)
        cursor = request.cursor
        for _ in range(2):
            cursor += 10
            yield notes.SubscribeResponse(
                notification=notes.Notification(notification_id=f"n{cursor}"), cursor=cursor
            )
        await abort(context, _unavailable())


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Orders, Notifications]]:
    # The test servers answer only what the tests call; the rest stays UNIMPLEMENTED.
    orders, notifications = Orders(failures=2, delay_ms=30), Notifications()  # type: ignore[abstract]
    grpc_server = grpc.aio.server()
    v2_grpc.add_OrderServiceServicer_to_server(orders, grpc_server)
    v1_grpc.add_OrderServiceServicer_to_server(OrdersV1(), grpc_server)  # type: ignore[abstract]
    notes_grpc.add_NotificationServiceServicer_to_server(notifications, grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    await grpc_server.start()
    try:
        yield f"127.0.0.1:{port}", orders, notifications
    finally:
        await grpc_server.stop(0)


@pytest.fixture
def steady(server: tuple[str, Orders, Notifications]) -> tuple[str, Orders]:
    """The servers' address, and orders answering at once (no failures first)."""
    target, orders, _ = server
    orders.failures = 0
    return target, orders


async def test_a_method_safe_to_retry_is_retried_after_the_servers_retry_delay(
    server: tuple[str, Orders, Notifications],
) -> None:
    target, orders, _ = server
    async with AsyncAcme(target, token="t", retry=FAST) as acme:
        found = await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="o-1"))
    assert found.order.order_id == "o-1"
    attempts = orders.calls["GetOrder"]
    assert len(attempts) == 3
    # RetryInfo asked for 30 ms; the policy's own backoff would have been at most 10-20 ms.
    assert all(later - earlier >= 0.025 for earlier, later in itertools.pairwise(attempts))


async def test_a_method_not_declared_safe_is_never_retried(
    server: tuple[str, Orders, Notifications],
) -> None:
    target, orders, _ = server
    async with AsyncAcme(target, token="t", retry=FAST) as acme:
        # CancelOrder v2 is IDEMPOTENT in the contract: retried. v1's never said so.
        await acme.orders.v2.cancel_order(v2.CancelOrderRequest(order_id="o-1"))
        with pytest.raises(UnavailableError) as refused:
            await acme.orders.v1.cancel_order(v1.CancelOrderRequest(order_id="o-1"))
    assert len(orders.calls["CancelOrder"]) == 3
    assert refused.value.reason == "BACKEND_DOWN"


async def test_errors_are_typed_with_their_details(
    steady: tuple[str, Orders],
) -> None:
    target, _ = steady
    async with AsyncAcme(target, api_key="ak_x_y") as acme:
        with pytest.raises(NotFoundError) as missing:
            await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="missing"))
        with pytest.raises(InvalidArgumentError) as invalid:
            await acme.orders.v2.place_order(v2.PlaceOrderRequest())
    assert missing.value.reason == "ORDER_NOT_FOUND"
    assert missing.value.metadata == {"id": "missing"}
    assert isinstance(missing.value, ApiError)
    assert [(v.field, v.description) for v in invalid.value.field_violations] == [
        ("lines", "at least one line")
    ]


async def test_the_contracts_default_deadline_applies_unless_the_caller_sets_one(
    steady: tuple[str, Orders],
) -> None:
    target, orders = steady
    async with AsyncAcme(target, token="t") as acme:
        await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="a"))
        await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="b"), timeout=60)
        await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="c"), timeout=None)
    contract, chosen, none = orders.timeouts
    # GetOrder's default_timeout is 5 s; grpc rounds deadlines up on the wire.
    assert contract is not None
    assert 3 < contract <= 5.1
    assert chosen is not None
    assert 55 < chosen <= 61
    assert none is None


async def test_a_deprecated_version_warns_from_its_contract() -> None:
    # The deprecation comes from the lifecycle option: no server is needed to see it.
    async with AsyncAcme("127.0.0.1:9", token="t", retry=RetryPolicy(max_attempts=1)) as acme:
        with (
            pytest.warns(DeprecationWarning, match=r"acme\.orders\.v1\.OrderService.*v2"),
            pytest.raises(ApiError),
        ):
            await acme.orders.v1.get_order(v1.GetOrderRequest(order_id="o"), timeout=0.2)


async def test_the_blocking_client_retries_and_warns_too(
    server: tuple[str, Orders, Notifications],
) -> None:
    target, orders, _ = server

    def blocking() -> tuple[v2.GetOrderResponse, list[warnings.WarningMessage]]:
        with Acme(target, token=lambda: "refreshed", retry=FAST) as acme:
            found = acme.orders.v2.get_order(v2.GetOrderRequest(order_id="o-2"))
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                acme.orders.v1.get_order(v1.GetOrderRequest(order_id="o-3"))
        return found, seen

    # In a thread: the servers answer on this test's event loop.
    found, seen = await asyncio.to_thread(blocking)
    assert found.order.order_id == "o-2"
    assert len(orders.calls["GetOrder"]) == 3
    assert any(issubclass(w.category, DeprecationWarning) for w in seen)


async def test_a_version_deprecated_since_the_sdk_was_made_warns_from_the_response_headers(
    steady: tuple[str, Orders],
) -> None:
    target, _ = steady
    async with AsyncAcme(target, token="t") as acme:
        with pytest.warns(DeprecationWarning, match=r"server says acme\.orders\.v2.*v3"):
            await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="announced"))


async def test_a_stream_with_a_cursor_resumes_after_the_last_response(
    server: tuple[str, Orders, Notifications],
) -> None:
    target, _, notifications = server
    seen: list[int] = []
    async with AsyncAcme(target, token="t", retry=FAST) as acme:
        stream = acme.notifications.v1.subscribe(notes.SubscribeRequest(customer_id="alice"))
        async for response in stream:
            seen.append(response.cursor)
            if len(seen) == 5:
                break
    # Broken after 20 and 40: each new call named the last cursor it had seen.
    assert seen == [10, 20, 30, 40, 50]
    assert notifications.requests == [0, 20, 40]


async def test_a_stream_without_a_cursor_is_not_resumed_once_it_started(
    server: tuple[str, Orders, Notifications],
) -> None:
    target, _, _ = server
    # WatchOrder is not implemented by this server: UNIMPLEMENTED, which is never retried.
    async with AsyncAcme(target, token="t", retry=FAST) as acme:
        with pytest.raises(ApiError) as refused:
            async for _ in acme.orders.v2.watch_order(v2.WatchOrderRequest(order_id="o")):
                pass
    assert refused.value.code == grpc.StatusCode.UNIMPLEMENTED


async def test_credentials_are_computed_for_every_attempt(
    server: tuple[str, Orders, Notifications],
) -> None:
    target, _, _ = server
    issued: list[str] = []

    async def token() -> str:
        issued.append(f"t{len(issued)}")
        await asyncio.sleep(0)
        return issued[-1]

    async with AsyncAcme(target, token=token, retry=FAST) as acme:
        await acme.orders.v2.get_order(v2.GetOrderRequest(order_id="o"))
    assert issued == ["t0", "t1", "t2"]
