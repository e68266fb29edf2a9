"""Changes to policy, lifecycle and HTTP-binding options between two images, which `buf
breaking` ignores, and to the standard `idempotency_level`, which buf.yaml leaves to this check.

A change that takes access away from a caller who had it needs a new version of the API; a
change that only grants access (a scope removed, a method made public) does not. A changed or
removed `google.api.http` binding breaks every HTTP client of it; adding one breaks nobody.
Declaring an idempotency level where there was none promises callers more (a retry is safe,
as it already was); changing or withdrawing a declared one breaks clients that retry on it.
A service's admin scope (its `access` option, or the one its policies name) that changes or
goes away, while methods still guard an owner, takes every customer's records from the staff
who hold it; naming one where there was none only grants.
"""

from accordapis.options.v1 import policy_pb2
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, text_format

from accord.descriptors import ServiceContract, services_in
from accord.tooling.contracts._versions import next_version

Stage = policy_pb2.ServiceLifecycle
_UNKNOWN = descriptor_pb2.MethodOptions.IDEMPOTENCY_UNKNOWN
_ORDER = {Stage.STAGE_STABLE: 0, Stage.STAGE_DEPRECATED: 1, Stage.STAGE_SUNSET: 2}


def option_changes(
    old: descriptor_pb2.FileDescriptorSet, new: descriptor_pb2.FileDescriptorSet
) -> list[str]:
    """Breaking option changes of every service present in both images."""
    before = {service.full_name: service for service in services_in(old)}
    problems: list[str] = http_binding_changes(old, new)
    for service in services_in(new):
        previous = before.get(service.full_name)
        if previous is not None:
            problems += lifecycle_changes(previous, service)
            problems += access_changes(previous, service)
            problems += _method_changes(previous, service)
    return problems


def _method_changes(old: ServiceContract, new: ServiceContract) -> list[str]:
    before = {method.name: method for method in old.methods}
    problems = []
    for method in new.methods:
        if method.name not in before:
            continue
        problems += [
            f"{method.full_name}: {change}"
            for change in idempotency_changes(before[method.name].idempotency, method.idempotency)
        ]
        for change in policy_changes(before[method.name].policy, method.policy):
            problems.append(
                f"{method.full_name}: {change}: this needs a new version; publish "
                f"`{next_version(new.full_name)}` with the new policy instead"
            )
    return problems


Idempotency = descriptor_pb2.MethodOptions.IdempotencyLevel


def idempotency_changes(old: "Idempotency.ValueType", new: "Idempotency.ValueType") -> list[str]:
    """Empty when `new` only declares what `old` left unknown (or nothing changed)."""
    if old in (new, _UNKNOWN):
        return []
    return [
        f"idempotency_level changed from {Idempotency.Name(old)} to {Idempotency.Name(new)}: "
        "clients that retry it as the contract promised would now repeat its effects; publish "
        "a new version"
    ]


def policy_changes(
    old: policy_pb2.MethodPolicy | None, new: policy_pb2.MethodPolicy | None
) -> list[str]:
    """What a caller who could call the method before may lose; empty when nobody loses."""
    if new is None:
        return [] if old is None else ["its policy was removed, so every call is now denied"]
    if old is None:
        return []  # without a policy every call was denied: anything now only grants access
    changes = []
    added = [s for s in new.required_scopes if s not in old.required_scopes]
    if old.public and not new.public:
        changes.append(f"it is no longer public (now requires {list(new.required_scopes)})")
    elif added and not new.public:
        changes.append(f"it newly requires scope {', '.join(added)}")
    if new.owner_field != old.owner_field and new.owner_field:
        changes.append(_changed("owner_field", old.owner_field, new.owner_field))
    if new.admin_scope != old.admin_scope and new.owner_field:
        changes.append(_changed("admin_scope", old.admin_scope, new.admin_scope))
    return changes


def lifecycle_changes(old: ServiceContract, new: ServiceContract) -> list[str]:
    was, now = old.stage, new.stage
    name = new.full_name
    if _ORDER[now] < _ORDER[was]:
        return [
            f"{name}: lifecycle stage moved back from {Stage.Stage.Name(was)} to "
            f"{Stage.Stage.Name(now)}; callers were told it ends: publish "
            f"`{next_version(name)}` instead of reviving it"
        ]
    if was == Stage.STAGE_STABLE and now == Stage.STAGE_SUNSET:
        return [
            f"{name}: lifecycle went from STAGE_STABLE straight to STAGE_SUNSET; deprecate it "
            "first (deprecated_date, sunset_date, successor) so callers are warned"
        ]
    return []


def access_changes(old: ServiceContract, new: ServiceContract) -> list[str]:
    """Empty unless the admin scope the old contract named changed or went away (a contract
    that names several is `make lint`'s to refuse, not this check's)."""
    try:
        was, now = old.admin_scope, new.admin_scope
    except ValueError:
        return []
    guarded = any(m.policy is not None and m.policy.owner_field for m in new.methods)
    if not was or was == now or not guarded:  # no owner left to guard: nothing taken away
        return []
    change = f"changed from {was!r} to {now!r}" if now else f"{was!r} was removed"
    return [
        f"{new.full_name}: admin scope {change}: staff holding {was!r} lose every customer's "
        f"records; publish `{next_version(new.full_name)}` with the new scope instead"
    ]


def http_binding_changes(
    old: descriptor_pb2.FileDescriptorSet, new: descriptor_pb2.FileDescriptorSet
) -> list[str]:
    """Methods present in both images whose HTTP binding changed or went away."""
    before = _http_bindings(old)
    problems = []
    for method, rule in _http_bindings(new).items():
        previous = before.pop(method, None)
        if previous is not None and previous != rule:
            problems.append(
                f"{method}: its HTTP binding changed from {previous} to {rule}: HTTP clients "
                "of the old one break; add the new one beside it (additional_bindings) or "
                "publish a new version"
            )
    new_methods = _methods(new)
    for method, rule in before.items():
        if method in new_methods:
            problems.append(
                f"{method}: its HTTP binding {rule} was removed: HTTP clients of it break"
            )
    return problems


def _http_bindings(image: descriptor_pb2.FileDescriptorSet) -> dict[str, str]:
    """`package.Service.Method` → its google.api.http rule, as text (only bound methods)."""
    bindings = {}
    for file in image.file:
        for service in file.service:
            for method in service.method:
                if method.options.HasExtension(annotations_pb2.http):
                    rule = method.options.Extensions[annotations_pb2.http]
                    text = text_format.MessageToString(rule, as_one_line=True)
                    bindings[f"{file.package}.{service.name}.{method.name}"] = f"{{{text}}}"
    return bindings


def _methods(image: descriptor_pb2.FileDescriptorSet) -> set[str]:
    return {
        f"{file.package}.{service.name}.{method.name}"
        for file in image.file
        for service in file.service
        for method in service.method
    }


def _changed(key: str, old: str, new: str) -> str:
    if not old:
        return f"{key} {new!r} was added"
    if not new:
        return f"{key} {old!r} was removed"
    return f"{key} changed from {old!r} to {new!r}"
