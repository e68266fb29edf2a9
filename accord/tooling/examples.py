"""What development tools show and use, read from the contracts rather than written again:
the scopes of every method meant for customers (the policies' audience), for the token
`make run` prints and the demo's customers; the staff's (those, their own methods' scopes and
every admin scope), for the demo's back office; and each method's example request (the
`call` option's `example`), as the grpcurl lines `make run` prints."""

from collections.abc import Iterable
from pathlib import Path

from accord.descriptors import MethodContract, load_image, services_in

EXAMPLE_SUBJECT = "alice"


def _methods(image_path: Path | None = None) -> list[MethodContract]:
    image = load_image() if image_path is None else load_image(image_path)
    return [method for service in services_in(image) for method in service.methods]


def customer_scopes(image_path: Path | None = None) -> tuple[str, ...]:
    """Every scope a customer's app needs: those the customers' methods require."""
    scopes = {
        scope
        for method in _methods(image_path)
        if method.policy is not None and method.for_customers
        for scope in method.policy.required_scopes
    }
    return tuple(sorted(scopes))


def staff_scopes(image_path: Path | None = None) -> tuple[str, ...]:
    """What the back office holds: the customers' scopes, every scope of the staff's methods,
    and every admin scope (which lifts owner checks)."""
    scopes: set[str] = set(customer_scopes(image_path))
    for method in _methods(image_path):
        policy = method.policy
        if policy is None:
            continue
        if policy.audience == policy.AUDIENCE_STAFF:
            scopes.update(policy.required_scopes)
        if policy.admin_scope:
            scopes.add(policy.admin_scope)
    return tuple(sorted(scopes))


def example_calls(services: Iterable[str], image_path: Path | None = None) -> list[tuple[str, str]]:
    """(method path without the slash, example request) for each method with an example,
    in the order of `services` (full names), then of the methods in each."""
    order = {name: i for i, name in enumerate(services)}
    found = [
        (order[method.service], i, method)
        for i, method in enumerate(_methods(image_path))
        if method.example and method.service in order
    ]
    return [(method.path.lstrip("/"), method.example) for _, _, method in sorted(found)]
