"""Services, methods, policies and lifecycles, read from a compiled descriptor set.

The same reader serves `make lint`, `make breaking` (an image built from another branch) and
the gateway at run time (the image `make codegen` writes to gen/python/contracts.binpb).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from accordapis.options.v1 import calls_pb2, policy_pb2

# Every option the contracts use is known when an image is parsed (above: ours; here: HTTP
# bindings), so an image parses, and serializes again, the same whatever else the process
# has imported: unknown options would be kept apart and written back in another order.
from google.api import annotations_pb2  # noqa: F401
from google.protobuf import descriptor_pb2, descriptor_pool

DEFAULT_IMAGE = Path("gen/python/contracts.binpb")


@dataclass(frozen=True)
class MethodContract:
    """One RPC as its contract describes it."""

    service: str  # acme.orders.v1.OrderService
    name: str  # PlaceOrder
    input_type: str  # acme.orders.v1.PlaceOrderRequest (no leading dot)
    output_type: str
    client_streaming: bool
    server_streaming: bool
    policy: policy_pb2.MethodPolicy | None  # None: the contract gives no policy
    # The standard idempotency_level option (descriptor.proto's MethodOptions), e.g.
    # NO_SIDE_EFFECTS: the SDKs retry only methods that declare one.
    idempotency: "descriptor_pb2.MethodOptions.IdempotencyLevel.ValueType" = (
        descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN
    )
    # accordapis.options.v1.call's example request (proto3 JSON), or "".
    example: str = ""

    @property
    def for_customers(self) -> bool:
        """Whether the policy's audience is customers (stated, or unset)."""
        audience = self.policy.audience if self.policy is not None else 0
        return audience in (
            policy_pb2.MethodPolicy.AUDIENCE_UNSPECIFIED,
            policy_pb2.MethodPolicy.AUDIENCE_CUSTOMERS,
        )

    @property
    def path(self) -> str:
        """The gRPC path the method is called on: /acme.orders.v1.OrderService/PlaceOrder."""
        return f"/{self.service}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.service}.{self.name}"


@dataclass(frozen=True)
class ServiceContract:
    """One service version: its methods and where it stands in its life."""

    full_name: str  # acme.orders.v1.OrderService
    package: str  # acme.orders.v1
    file: str  # acme/orders/v1/orders.proto
    lifecycle: policy_pb2.ServiceLifecycle  # stage STAGE_UNSPECIFIED when absent
    methods: tuple[MethodContract, ...]
    # accordapis.options.v1.access: who reaches every customer's records (empty when absent).
    access: policy_pb2.ServiceAccess = field(default_factory=policy_pb2.ServiceAccess)

    @property
    def admin_scopes(self) -> set[str]:
        """Every admin scope the contract names: the service's and its methods' policies'."""
        named = {m.policy.admin_scope for m in self.methods if m.policy is not None}
        return {scope for scope in (self.access.admin_scope, *named) if scope}

    @property
    def admin_scope(self) -> str:
        """The scope that reaches every customer's records: the service's `access` option,
        else the one its methods' policies name; "" when the contract names none. ValueError
        when it names several (`make lint` refuses such a contract)."""
        if self.access.admin_scope:
            return self.access.admin_scope
        scopes = self.admin_scopes
        if len(scopes) > 1:
            raise ValueError(f"{self.full_name} names several admin scopes: {sorted(scopes)}")
        return next(iter(scopes), "")

    @property
    def stage(self) -> "policy_pb2.ServiceLifecycle.Stage.ValueType":
        stage = self.lifecycle.stage
        return stage or policy_pb2.ServiceLifecycle.STAGE_STABLE


def load_image(path: Path = DEFAULT_IMAGE) -> descriptor_pb2.FileDescriptorSet:
    """Parse a descriptor set; importing policy_pb2 above makes its options readable."""
    image = descriptor_pb2.FileDescriptorSet()
    image.ParseFromString(path.read_bytes())
    return image


def services_in(
    image: descriptor_pb2.FileDescriptorSet, files: Iterable[str] | None = None
) -> list[ServiceContract]:
    """Every service of the image (or of the named files), in file and declaration order."""
    wanted = set(files) if files is not None else None
    return [
        _service(proto, service)
        for proto in image.file
        if wanted is None or proto.name in wanted
        for service in proto.service
    ]


def service_contract(name: str, pool: descriptor_pool.DescriptorPool) -> ServiceContract:
    """A service by full name from a descriptor pool (the generated modules' default pool
    holds every imported contract, with its options)."""
    descriptor = pool.FindServiceByName(name)
    file = descriptor_pb2.FileDescriptorProto()
    descriptor.file.CopyToProto(file)
    return _service(file, file.service[descriptor.index])


def _service(
    proto: descriptor_pb2.FileDescriptorProto, service: descriptor_pb2.ServiceDescriptorProto
) -> ServiceContract:
    full_name = f"{proto.package}.{service.name}" if proto.package else service.name
    options = service.options
    lifecycle = policy_pb2.ServiceLifecycle()
    if options.HasExtension(policy_pb2.lifecycle):
        lifecycle.CopyFrom(options.Extensions[policy_pb2.lifecycle])
    access = policy_pb2.ServiceAccess()
    if options.HasExtension(policy_pb2.access):
        access.CopyFrom(options.Extensions[policy_pb2.access])
    methods = tuple(_method(full_name, method) for method in service.method)
    return ServiceContract(full_name, proto.package, proto.name, lifecycle, methods, access)


def _method(service: str, method: descriptor_pb2.MethodDescriptorProto) -> MethodContract:
    options = method.options
    policy = None
    if options.HasExtension(policy_pb2.policy):
        policy = policy_pb2.MethodPolicy()
        policy.CopyFrom(options.Extensions[policy_pb2.policy])
    return MethodContract(
        service=service,
        name=method.name,
        input_type=method.input_type.lstrip("."),
        output_type=method.output_type.lstrip("."),
        client_streaming=method.client_streaming,
        server_streaming=method.server_streaming,
        policy=policy,
        idempotency=options.idempotency_level,
        example=options.Extensions[calls_pb2.call].example
        if options.HasExtension(calls_pb2.call)
        else "",
    )
