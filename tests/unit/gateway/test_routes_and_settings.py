"""Routes, lifecycle headers, limits and settings, without a network."""

import grpc
import pytest
from accordapis.options.v1 import policy_pb2

from accord.contracts.descriptors import load_image
from accord.rpc_status import RpcError
from gateway.limits import ConcurrencyLimiter, RateLimiter
from gateway.routes import RouteTable, lifecycle_headers
from gateway.server import server_options
from gateway.settings import GatewaySettings

Lifecycle = policy_pb2.ServiceLifecycle


def test_defaults_are_the_documented_addresses() -> None:
    settings = GatewaySettings()
    assert settings.listen == "127.0.0.1:50050"
    assert settings.metrics_listen == "127.0.0.1:9464"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_GATEWAY_LISTEN", "0.0.0.0:6000")
    monkeypatch.setenv("ACCORD_GATEWAY_ROUTES", '{"acme.orders": ["127.0.0.1:50051"]}')
    monkeypatch.setenv("ACCORD_GATEWAY_RATE_LIMIT_PER_S", "5")
    settings = GatewaySettings()
    assert settings.listen == "0.0.0.0:6000"
    assert settings.routes == {"acme.orders": ["127.0.0.1:50051"]}
    assert settings.rate_limit_per_s == 5.0


def test_the_most_specific_route_wins() -> None:
    image = load_image()
    table = RouteTable(
        image,
        {"acme.orders": ["h:1"], "acme.orders.v2.OrderService": ["h:2"]},
    )
    assert table.services["acme.orders.v1.OrderService"].addresses == ("h:1",)
    assert table.services["acme.orders.v2.OrderService"].addresses == ("h:2",)
    assert "/acme.orders.v1.OrderService/PlaceOrder" in table.methods


def test_unrouted_services_are_not_served() -> None:
    table = RouteTable(load_image(), {"acme.orders.v2": ["h:2"]})
    assert list(table.services) == ["acme.orders.v2.OrderService"]
    refusal = table.refusal("/acme.orders.v1.OrderService/PlaceOrder")
    assert refusal.code == grpc.StatusCode.UNIMPLEMENTED
    assert "available: acme.orders.v2.OrderService" in refusal.text


def test_deprecated_headers_follow_rfc_9745_and_8594() -> None:
    lifecycle = Lifecycle(
        stage=Lifecycle.STAGE_DEPRECATED,
        deprecated_date="2026-11-01",
        sunset_date="2027-06-30",
        successor="acme.orders.v2.OrderService",
    )
    assert lifecycle_headers(lifecycle) == (
        ("deprecation", "@1793491200"),
        ("sunset", "Wed, 30 Jun 2027 23:59:59 GMT"),
        ("link", '<acme.orders.v2.OrderService>; rel="successor-version"'),
    )
    assert lifecycle_headers(Lifecycle(stage=Lifecycle.STAGE_STABLE)) == ()


def test_a_token_bucket_allows_its_burst_then_refuses() -> None:
    limiter = RateLimiter(rate=0.001, burst=3)
    for _ in range(3):
        limiter.take("alice")
    with pytest.raises(RpcError) as raised:
        limiter.take("alice")
    assert raised.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    limiter.take("bob")
    RateLimiter(rate=0, burst=1).take("anyone")  # rate 0: no limit


def test_the_concurrency_cap_sheds_beyond_its_limit() -> None:
    limiter = ConcurrencyLimiter(limit=2, retry_after_s=1.0)
    limiter.enter()
    limiter.enter()
    with pytest.raises(RpcError) as raised:
        limiter.enter()
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    limiter.leave()
    limiter.enter()


def test_keepalive_is_enforced_by_server_options() -> None:
    options = dict(server_options(GatewaySettings(keepalive_max_ping_strikes=3)))
    assert options["grpc.http2.max_ping_strikes"] == 3
    assert options["grpc.keepalive_permit_without_calls"] == 0
    assert options["grpc.http2.min_recv_ping_interval_without_data_ms"] == 30_000
