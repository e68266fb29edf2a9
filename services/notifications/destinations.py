"""Where a webhook may point: public internet addresses only, checked when it is registered
and again, on the addresses its host resolves to then, at every delivery.

A webhook URL is the customer's, so everything about it is chosen by an attacker: its host
may name (or resolve to) the loopback interface, a private network, a link-local address
such as a cloud's metadata service (169.254.169.254), or any address that is not on the
public internet; a name may resolve to a public address when it is registered and to
127.0.0.1 at delivery (DNS rebinding). So the host is resolved at every delivery, every
address it resolves to is checked (one refused address refuses them all), and the POST goes
to the address that was checked, never to the name again.

Networks an operator opens explicitly (`webhook_allowed_networks`, empty by default) are
accepted whatever their kind: tests and development open the loopback addresses their
receivers listen on. Addresses embedded in IPv6 ones (IPv4-mapped `::ffff:127.0.0.1`, NAT64,
6to4, Teredo) are checked as the IPv4 address they carry.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Metadata services of the clouds, named in refusals because they are what an attacker wants.
METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
RESOLVE_TIMEOUT_SECONDS = 5.0


class RefusedDestination(Exception):
    """The host is, or resolves to, an address webhooks may not reach."""

    def __init__(self, address: IPAddress, kind: str) -> None:
        super().__init__(f"{address} is {kind}: webhooks reach public internet addresses only")
        self.address = address
        self.kind = kind


class UnresolvedHost(Exception):
    """The host does not resolve (now)."""


@dataclass(frozen=True)
class Destination:
    """A checked address to connect to, for the host the URL names."""

    host: str
    address: IPAddress


def kind_of(address: IPAddress) -> str | None:
    """Why `address` is not a public internet address, in words, or None when it is one."""
    carried = _carried_ipv4(address)
    if carried is not None:
        return kind_of(carried)
    if address in METADATA:
        return "a cloud metadata address"
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public internet address"),
    )
    return next((kind for refused, kind in checks if refused), None)


def _carried_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    return None


class Destinations:
    """The address policy of one notifications process."""

    def __init__(self, allowed_networks: Sequence[IPNetwork] = ()) -> None:
        self._allowed = tuple(allowed_networks)

    def check(self, address: IPAddress) -> None:
        """RefusedDestination unless `address` may be reached."""
        if any(address in network for network in self._allowed):
            return
        kind = kind_of(address)
        if kind is not None:
            raise RefusedDestination(address, kind)

    async def resolve(self, host: str, port: int) -> Destination:
        """The address to POST to for `host`, after checking every address it resolves to."""
        addresses = await self._addresses(host, port)
        for address in addresses:
            self.check(address)
        return Destination(host, addresses[0])

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError) as error:
            raise UnresolvedHost(f"{host} does not resolve: {error}") from error
        addresses: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in found:
            # Scoped IPv6 addresses come back as "fe80::1%eth0".
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnresolvedHost(f"{host} does not resolve")
        return addresses


__all__ = [
    "Destination",
    "Destinations",
    "IPNetwork",
    "RefusedDestination",
    "UnresolvedHost",
    "kind_of",
]
