"""Permissions generated from the contracts, read as the nats-server configuration has them."""

import pytest

from accord.nats_permissions import (
    contracts_of,
    device_permissions,
    service_permissions,
    services_of,
)
from accord.tooling.nats_config import ServerSecurity, security_for, server_config
from accord.tooling.streams import REPOSITORY

DOCUMENTS = contracts_of(REPOSITORY)
SERVICES = services_of(DOCUMENTS)


def test_a_fleet_document_is_no_service() -> None:
    assert "thermostat" in DOCUMENTS
    assert "thermostat" not in SERVICES
    assert {"orders", "shipping", "devices", "banking"} <= set(SERVICES)


def test_orders_publishes_its_own_events_and_reads_through_its_own_durables() -> None:
    orders = service_permissions("orders", SERVICES["orders"], DOCUMENTS)
    assert "acme.orders.v1.order.placed" in orders.publish
    assert "acme.shipping.v1.shipment.scheduled" not in orders.publish
    assert "$JS.API.CONSUMER.MSG.NEXT.SHIPPING.orders-shipment-scheduled" in orders.publish
    assert "$JS.ACK.SHIPPING.orders-shipment-scheduled.>" in orders.publish
    assert "acme.orders.v1.deadletter.shipment-scheduled" in orders.publish
    assert "$KV.orders.>" in orders.publish
    # Its replies, and what it stores itself (to follow it live without a consumer).
    assert orders.subscribe == (
        "_INBOX.orders.>",
        "acme.orders.v1.order.>",
        "acme.orders.v1.deadletter.>",
        "$KV.orders.>",
    )
    assert not orders.allow_responses
    # Another's durable on its own stream: no fetching, acking, changing or deleting it.
    for denied in (
        "$JS.API.CONSUMER.MSG.NEXT.ORDERS.notifications-order-placed",
        "$JS.ACK.ORDERS.notifications-order-placed.>",
        "$JS.API.CONSUMER.CREATE.ORDERS.notifications-order-placed",
        "$JS.API.CONSUMER.DELETE.ORDERS.notifications-order-placed",
    ):
        assert denied in orders.publish_deny


def test_no_service_may_create_change_or_delete_a_stream() -> None:
    for name, contract in SERVICES.items():
        granted = service_permissions(name, contract, DOCUMENTS).publish
        assert not [
            s
            for s in granted
            if s.startswith(
                (
                    "$JS.API.STREAM.CREATE",
                    "$JS.API.STREAM.UPDATE",
                    "$JS.API.STREAM.DELETE",
                    "$JS.API.STREAM.PURGE",
                )
            )
        ]
        assert ">" not in granted
        assert "$JS.API.>" not in granted


def test_a_durable_of_ones_own_on_ones_own_stream_is_not_denied() -> None:
    pricing = service_permissions("pricing", SERVICES["pricing"], DOCUMENTS)
    assert "$JS.API.CONSUMER.MSG.NEXT.PRICING.pricing-demand" in pricing.publish
    assert "$JS.API.CONSUMER.MSG.NEXT.PRICING.pricing-demand" not in pricing.publish_deny
    assert "$JS.API.CONSUMER.DELETE.PRICING.pricing-demand" in pricing.publish_deny


def test_the_issuer_of_devices_answers_the_auth_callout_as_responses() -> None:
    devices = service_permissions("devices", SERVICES["devices"], DOCUMENTS)
    assert "$SYS.REQ.USER.AUTH" in devices.subscribe
    assert devices.allow_responses
    assert "acme.devices.v1.device.*.schedule" in devices.publish
    assert "acme.devices.v1.device.*.adjusted" not in devices.publish


def test_a_device_may_use_its_own_subjects_only() -> None:
    hall = device_permissions("thermostat", DOCUMENTS["thermostat"], "hall-1")
    assert hall.publish == ("acme.devices.v1.device.hall-1.adjusted",)
    assert set(hall.subscribe) == {
        "_INBOX.thermostat.hall-1.>",
        "acme.devices.v1.device.hall-1.schedule",
    }
    with pytest.raises(ValueError, match="one subject token"):
        device_permissions("thermostat", DOCUMENTS["thermostat"], "hall.>")


def _security(developer: str | None = None) -> ServerSecurity:
    from accord.tooling.nats_config import identities_needed
    from accord.tooling.nats_identities import new_account_seed, new_user_seed

    seeds = {
        name: new_account_seed() if name.endswith("-issuer") else new_user_seed()
        for name in identities_needed(REPOSITORY)
    }
    return security_for(seeds, developer_password=developer)


def test_the_configuration_lets_no_one_in_anonymously() -> None:
    text = server_config(_security())
    assert "no_auth_user" not in text
    assert '"user": "developer"' not in text
    assert "sync_interval" in text
    assert '"always"' in text
    security = _security("secret")
    with_developer = server_config(security)
    assert '"user": "developer"' in with_developer
    # Every configured user bypasses the callout; any other connection is the issuer's call.
    assert security.device_issuer is not None
    assert security.device_issuer.startswith("A")
    for user in security.users:
        assert with_developer.count(user.public_key) == 2
