"""Routes, lifecycle headers and settings, without a network."""

import grpc
import pytest
from accordapis.options.v1 import policy_pb2

from accord.descriptors import load_image
from gateway.routes import RouteTable, lifecycle_headers
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
