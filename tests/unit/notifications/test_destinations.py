"""Webhook destinations: public internet addresses only, however the address is spelt."""

import ipaddress

import pytest

from services.notifications.destinations import (
    Destinations,
    RefusedDestination,
    UnresolvedHost,
    kind_of,
)
from services.notifications.settings import NotificationsSettings


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "a multicast address"),
        ("100.64.0.1", "not a public internet address"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
    ],
)
def test_addresses_that_are_not_public_are_named(address: str, kind: str) -> None:
    assert kind_of(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["1.1.1.1", "93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert kind_of(ipaddress.ip_address(address)) is None


def test_nothing_is_opened_by_default() -> None:
    assert NotificationsSettings().webhook_allowed_networks == ()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "2130706433", "0x7f.1"])
async def test_every_spelling_of_loopback_is_refused_by_default(host: str) -> None:
    # Hosts are resolved, so decimal and hex spellings end up where they point.
    with pytest.raises(RefusedDestination) as refused:
        await Destinations().resolve(host, 80)
    assert refused.value.kind == "a loopback address"


async def test_an_opened_network_is_reachable_and_nothing_else_is() -> None:
    opened = Destinations([ipaddress.ip_network("127.0.0.2/32")])
    destination = await opened.resolve("127.0.0.2", 8080)
    assert destination.address == ipaddress.ip_address("127.0.0.2")
    with pytest.raises(RefusedDestination):
        await opened.resolve("127.0.0.1", 8080)


async def test_a_host_that_does_not_resolve_says_so() -> None:
    with pytest.raises(UnresolvedHost):
        await Destinations().resolve("no-such-host.invalid", 443)
