"""Routes from the compiled contracts: which methods are served, where, and in what stage.

Nothing about a method is configured here twice: the image gives services, methods, shapes,
policies and lifecycles; settings only say which addresses serve which services.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime

import grpc
from accordapis.options.v1 import policy_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from accord.descriptors import MethodContract, ServiceContract, services_in
from accord.rpc_status import RpcError, error_info

log = logging.getLogger(__name__)

_VERSION = re.compile(r"^v\d+((alpha|beta)\d*)?$")
_SUNSET = policy_pb2.ServiceLifecycle.STAGE_SUNSET
_DEPRECATED = policy_pb2.ServiceLifecycle.STAGE_DEPRECATED


@dataclass(frozen=True)
class ServiceRoute:
    """A routed service version: its contract, its backends, and headers its stage adds."""

    contract: ServiceContract
    addresses: tuple[str, ...]
    lifecycle_headers: tuple[tuple[str, str], ...]  # empty unless deprecated

    @property
    def name(self) -> str:
        return self.contract.full_name


@dataclass(frozen=True)
class MethodRoute:
    """One callable method: its contract, its service route and its request message class."""

    contract: MethodContract
    service: ServiceRoute
    request_type: type[Message]


class RouteTable:
    """Every method the gateway serves, and the refusal for every path it does not."""

    def __init__(
        self, image: descriptor_pb2.FileDescriptorSet, routes: Mapping[str, list[str]]
    ) -> None:
        self.image = image
        self.pool = descriptor_pool_of(image)
        self.services: dict[str, ServiceRoute] = {}  # routed and not sunset
        self.sunset: dict[str, ServiceContract] = {}
        self.methods: dict[str, MethodRoute] = {}
        used: set[str] = set()
        for contract in services_in(image):
            key = _most_specific_key(contract, routes)
            if key is None:
                continue
            used.add(key)
            if contract.stage == _SUNSET:
                self.sunset[contract.full_name] = contract
                continue
            service = ServiceRoute(
                contract, tuple(routes[key]), lifecycle_headers(contract.lifecycle)
            )
            self.services[contract.full_name] = service
            for method in contract.methods:
                request_type = message_factory.GetMessageClass(
                    self.pool.FindMessageTypeByName(method.input_type)
                )
                self.methods[method.path] = MethodRoute(method, service, request_type)
        for key in sorted(set(routes) - used):
            log.warning("route %r matches no service in the contracts", key)

    def refusal(self, path: str) -> RpcError:
        """UNIMPLEMENTED for a path that is not served, naming what is."""
        service, _, method = path.lstrip("/").rpartition("/")
        if service in self.services:
            return RpcError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"{service} has no method {method!r}",
                error_info("METHOD_NOT_FOUND", service=service, method=method),
            )
        available = ", ".join(self.versions_of(service))
        sunset = self.sunset.get(service)
        if sunset is not None:
            lifecycle = sunset.lifecycle
            return RpcError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"{service} was sunset on {lifecycle.sunset_date or 'an earlier date'}; "
                f"successor: {lifecycle.successor or 'none'}; available: {available}",
                error_info(
                    "SERVICE_SUNSET",
                    service=service,
                    successor=lifecycle.successor,
                    sunset_date=lifecycle.sunset_date,
                    migration_guide_url=lifecycle.migration_guide_url,
                    available=available,
                ),
            )
        return RpcError(
            grpc.StatusCode.UNIMPLEMENTED,
            f"{service or path} is not served here; available: {available}",
            error_info("SERVICE_UNKNOWN", service=service, available=available),
        )

    def versions_of(self, service: str) -> list[str]:
        """The served versions of the same API (every served service if there are none)."""
        api = _api_of(service)
        same = [name for name in self.services if _api_of(name) == api]
        return sorted(same or self.services)


def descriptor_pool_of(image: descriptor_pb2.FileDescriptorSet) -> descriptor_pool.DescriptorPool:
    """A pool of its own, so the image never collides with generated modules' default pool."""
    pool = descriptor_pool.DescriptorPool()
    for file in image.file:  # buf writes files in dependency order
        pool.Add(file)
    return pool


def lifecycle_headers(lifecycle: policy_pb2.ServiceLifecycle) -> tuple[tuple[str, str], ...]:
    """RFC 9745 `deprecation`, RFC 8594 `sunset` and a successor `link` for a deprecated stage."""
    if lifecycle.stage != _DEPRECATED:
        return ()
    headers: list[tuple[str, str]] = []
    if lifecycle.deprecated_date:
        since = datetime.combine(date.fromisoformat(lifecycle.deprecated_date), time(), UTC)
        headers.append(("deprecation", f"@{int(since.timestamp())}"))
    if lifecycle.sunset_date:
        # The contract names the last day the service answers: it ends at that day's end.
        last = datetime.combine(date.fromisoformat(lifecycle.sunset_date), time(23, 59, 59), UTC)
        headers.append(("sunset", format_datetime(last, usegmt=True)))
    links = []
    if lifecycle.successor:
        links.append(f'<{lifecycle.successor}>; rel="successor-version"')
    if lifecycle.migration_guide_url:
        links.append(f'<{lifecycle.migration_guide_url}>; rel="deprecation"; type="text/html"')
    if links:
        headers.append(("link", ", ".join(links)))
    return tuple(headers)


def _most_specific_key(contract: ServiceContract, routes: Mapping[str, list[str]]) -> str | None:
    candidates = [
        key
        for key in routes
        if key == contract.full_name
        or key == contract.package
        or contract.package.startswith(key + ".")
    ]
    return max(candidates, key=len, default=None)


def _api_of(service: str) -> tuple[str, str]:
    """("acme.orders", "OrderService") for acme.orders.v3.OrderService: the API sans version."""
    package, _, name = service.rpartition(".")
    parts = package.split(".")
    if parts and _VERSION.match(parts[-1]):
        parts = parts[:-1]
    return ".".join(parts), name
