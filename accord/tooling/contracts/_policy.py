"""Method policies and service lifecycles, checked in a compiled image.

The gateway denies a method without a policy at run time; this lint says so earlier, and
checks what the options' own comments promise (policy.proto).
"""

import re
from datetime import date

from accordapis.options.v1 import policy_pb2
from google.protobuf import descriptor_pb2

from accord.descriptors import MethodContract, ServiceContract, services_in

OPTION = "option (accordapis.options.v1.policy)"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Stage = policy_pb2.ServiceLifecycle
FieldProto = descriptor_pb2.FieldDescriptorProto


def lint_policies(image: descriptor_pb2.FileDescriptorSet, own_files: list[str]) -> list[str]:
    """Problems of every service declared in `own_files` (imports are not ours to lint)."""
    messages = message_index(image)
    known = {service.full_name for service in services_in(image)}
    problems: list[str] = []
    for service in services_in(image, own_files):
        problems += lint_lifecycle(service, known)
        problems += lint_access(service)
        for method in service.methods:
            problems += lint_method(method, messages)
    return problems


def lint_method(
    method: MethodContract, messages: dict[str, descriptor_pb2.DescriptorProto]
) -> list[str]:
    name, policy = method.full_name, method.policy
    if policy is None:
        return [f"{name} has no policy: add {OPTION}"]
    problems = []
    scopes = list(policy.required_scopes)
    if policy.public and scopes:
        problems.append(
            f"{name} is public but requires scopes {scopes}: drop the scopes or `public`"
        )
    if not policy.public and not scopes:
        problems.append(
            f"{name} has a policy with no required scope and no `public: true`, so nobody "
            f"could call it: name a scope in {OPTION}, or make it public"
        )
    if any(not scope.strip() for scope in scopes):
        problems.append(f"{name} has a blank required scope")
    if policy.admin_scope and not policy.owner_field:
        problems.append(
            f"{name} sets admin_scope {policy.admin_scope!r} without owner_field; an admin "
            "scope only lifts the owner check"
        )
    if policy.owner_field:
        problems += _owner_field(method, policy.owner_field, messages)
    return problems


def _owner_field(
    method: MethodContract, owner: str, messages: dict[str, descriptor_pb2.DescriptorProto]
) -> list[str]:
    request = messages.get(method.input_type)
    field = next((f for f in request.field if f.name == owner), None) if request else None
    if field is None:
        return [f"{method.full_name}: owner_field {owner!r} is not a field of {method.input_type}"]
    if field.type != FieldProto.TYPE_STRING or field.label == FieldProto.LABEL_REPEATED:
        return [
            f"{method.full_name}: owner_field {owner!r} of {method.input_type} must be a "
            "single string field (it holds the owning customer's id)"
        ]
    return []


def lint_access(service: ServiceContract) -> list[str]:
    """One admin scope a service: services read it from their contract (accord.access), so
    the service's `access` option and its methods' policies must not name different ones."""
    scopes = service.admin_scopes
    if len(scopes) <= 1:
        return []
    return [
        f"{service.full_name} names several admin scopes {sorted(scopes)}: its access option "
        "and every method policy's admin_scope must name the same one"
    ]


def lint_lifecycle(service: ServiceContract, known_services: set[str]) -> list[str]:
    """A deprecated or sunset service must say when it ends and what replaces it: the gateway
    sends exactly these in its `deprecation`, `sunset` and `link` headers."""
    if service.stage not in (Stage.STAGE_DEPRECATED, Stage.STAGE_SUNSET):
        return []
    return _dates(service) + _successor(service, known_services)


def _dates(service: ServiceContract) -> list[str]:
    name, stage = service.full_name, Stage.Stage.Name(service.stage)
    problems = []
    parsed = {}
    for key in ("deprecated_date", "sunset_date"):
        value = getattr(service.lifecycle, key)
        parsed[key] = _iso_date(value)
        if parsed[key] is None:
            problems.append(f"{name} is {stage} and needs {key} as an ISO date, got {value!r}")
    deprecated, sunset = parsed["deprecated_date"], parsed["sunset_date"]
    if deprecated and sunset and deprecated > sunset:
        problems.append(f"{name}: deprecated_date {deprecated} is after sunset_date {sunset}")
    return problems


def _successor(service: ServiceContract, known_services: set[str]) -> list[str]:
    name, successor = service.full_name, service.lifecycle.successor
    if not successor:
        stage = Stage.Stage.Name(service.stage)
        return [f"{name} is {stage} and needs a successor (the service replacing it)"]
    if successor == name or successor not in known_services:
        return [f"{name}: successor {successor!r} is not another service of the contracts"]
    return []


def message_index(
    image: descriptor_pb2.FileDescriptorSet,
) -> dict[str, descriptor_pb2.DescriptorProto]:
    """Every message of the image, nested ones included, by full name (no leading dot)."""
    index: dict[str, descriptor_pb2.DescriptorProto] = {}

    def add(prefix: str, message: descriptor_pb2.DescriptorProto) -> None:
        full = f"{prefix}.{message.name}" if prefix else message.name
        index[full] = message
        for nested in message.nested_type:
            add(full, nested)

    for file in image.file:
        for message in file.message_type:
            add(file.package, message)
    return index


def _iso_date(value: str) -> date | None:
    if not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
