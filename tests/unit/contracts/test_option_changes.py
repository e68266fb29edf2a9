"""Policy and lifecycle changes: what takes access away needs a new version."""

from typing import Any

import pytest
from accordapis.options.v1 import policy_pb2

from accord.descriptors import MethodContract, ServiceContract
from accord.tooling.contracts._option_changes import (
    access_changes,
    lifecycle_changes,
    policy_changes,
)
from accord.tooling.contracts._versions import next_version

Policy = policy_pb2.MethodPolicy
Lifecycle = policy_pb2.ServiceLifecycle
OWNED = Policy(required_scopes=["read"], owner_field="customer_id", admin_scope="admin")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            Policy(required_scopes=["read"]),
            Policy(required_scopes=["read", "write"]),
            ["it newly requires scope write"],
        ),
        (
            Policy(required_scopes=["read"]),
            Policy(required_scopes=["write"]),
            ["it newly requires scope write"],
        ),
        (
            Policy(public=True),
            Policy(required_scopes=["read"]),
            ["it is no longer public (now requires ['read'])"],
        ),
        (
            Policy(required_scopes=["read"]),
            Policy(required_scopes=["read"], owner_field="customer_id"),
            ["owner_field 'customer_id' was added"],
        ),
        (
            OWNED,
            Policy(required_scopes=["read"], owner_field="buyer_id", admin_scope="admin"),
            ["owner_field changed from 'customer_id' to 'buyer_id'"],
        ),
        (
            OWNED,
            Policy(required_scopes=["read"], owner_field="customer_id", admin_scope="root"),
            ["admin_scope changed from 'admin' to 'root'"],
        ),
        (
            OWNED,
            Policy(required_scopes=["read"], owner_field="customer_id"),
            ["admin_scope 'admin' was removed"],
        ),
        (
            Policy(required_scopes=["read"], owner_field="customer_id"),
            OWNED,
            ["admin_scope 'admin' was added"],
        ),
        (
            Policy(required_scopes=["read"]),
            None,
            ["its policy was removed, so every call is now denied"],
        ),
    ],
)
def test_a_tightened_policy_needs_a_new_version(
    old: Policy | None, new: Policy | None, expected: list[str]
) -> None:
    assert policy_changes(old, new) == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Policy(required_scopes=["read", "write"]), Policy(required_scopes=["read"])),
        (Policy(required_scopes=["read"]), Policy(public=True)),
        (OWNED, Policy(required_scopes=["read"])),  # the owner check is gone: wider access
        (None, Policy(required_scopes=["read"])),  # no policy was deny-all
        (OWNED, OWNED),
    ],
)
def test_a_loosened_or_unchanged_policy_passes(old: Policy | None, new: Policy) -> None:
    assert policy_changes(old, new) == []


def contract(stage: "Lifecycle.Stage.ValueType") -> ServiceContract:
    return ServiceContract(
        "acme.shop.v1.ShopService", "acme.shop.v1", "shop.proto", Lifecycle(stage=stage), ()
    )


@pytest.mark.parametrize(
    ("was", "now", "expected"),
    [
        (
            Lifecycle.STAGE_DEPRECATED,
            Lifecycle.STAGE_STABLE,
            "stage moved back from STAGE_DEPRECATED to STAGE_STABLE",
        ),
        (
            Lifecycle.STAGE_SUNSET,
            Lifecycle.STAGE_DEPRECATED,
            "stage moved back from STAGE_SUNSET to STAGE_DEPRECATED",
        ),
        (
            Lifecycle.STAGE_SUNSET,
            Lifecycle.STAGE_UNSPECIFIED,
            "stage moved back from STAGE_SUNSET to STAGE_STABLE",
        ),
        (
            Lifecycle.STAGE_STABLE,
            Lifecycle.STAGE_SUNSET,
            "went from STAGE_STABLE straight to STAGE_SUNSET",
        ),
        (
            Lifecycle.STAGE_UNSPECIFIED,
            Lifecycle.STAGE_SUNSET,
            "went from STAGE_STABLE straight to STAGE_SUNSET",
        ),
    ],
)
def test_a_lifecycle_that_goes_backwards_or_skips_deprecation_is_reported(
    was: "Lifecycle.Stage.ValueType", now: "Lifecycle.Stage.ValueType", expected: str
) -> None:
    (problem,) = lifecycle_changes(contract(was), contract(now))
    assert problem.startswith(f"acme.shop.v1.ShopService: lifecycle {expected}")


@pytest.mark.parametrize(
    ("was", "now"),
    [
        (Lifecycle.STAGE_UNSPECIFIED, Lifecycle.STAGE_STABLE),
        (Lifecycle.STAGE_STABLE, Lifecycle.STAGE_DEPRECATED),
        (Lifecycle.STAGE_DEPRECATED, Lifecycle.STAGE_SUNSET),
    ],
)
def test_a_lifecycle_moving_forward_passes(
    was: "Lifecycle.Stage.ValueType", now: "Lifecycle.Stage.ValueType"
) -> None:
    assert lifecycle_changes(contract(was), contract(now)) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("acme.orders.v1.OrderService", "acme.orders.v2.OrderService"),
        ("acme.orders.v9.order.placed", "acme.orders.v10.order.placed"),
        ("acme.orders.v1beta1", "acme.orders.v2"),
        ("acme.orders", "acme.orders.v2"),
    ],
)
def test_next_version(name: str, expected: str) -> None:
    assert next_version(name) == expected


def _image_with_binding(rule: str | None) -> Any:
    from google.api import annotations_pb2, http_pb2
    from google.protobuf import descriptor_pb2, text_format

    image = descriptor_pb2.FileDescriptorSet()
    file = image.file.add(name="acme/x/v1/x.proto", package="acme.x.v1")
    method = file.service.add(name="XService").method.add(
        name="GetX", input_type=".acme.x.v1.GetXRequest", output_type=".acme.x.v1.GetXResponse"
    )
    if rule is not None:
        binding = text_format.Parse(rule, http_pb2.HttpRule())
        method.options.Extensions[annotations_pb2.http].CopyFrom(binding)
    return image


def test_a_changed_or_removed_http_binding_is_breaking_and_a_new_one_is_not() -> None:
    from accord.tooling.contracts._option_changes import http_binding_changes

    old = _image_with_binding('get: "/v1/x/{id}"')
    assert http_binding_changes(old, old) == []
    changed = http_binding_changes(old, _image_with_binding('get: "/v1/things/{id}"'))
    assert len(changed) == 1
    assert "changed" in changed[0]
    assert "acme.x.v1.XService.GetX" in changed[0]
    removed = http_binding_changes(old, _image_with_binding(None))
    assert len(removed) == 1
    assert "removed" in removed[0]
    assert http_binding_changes(_image_with_binding(None), old) == []


def _guarded_by(admin_scope: str, owner_field: str = "customer_id") -> ServiceContract:
    """A service with one method whose caller must own the record, or hold `admin_scope`."""
    policy = Policy(required_scopes=["read"], owner_field=owner_field)
    method = MethodContract(
        "acme.shop.v1.ShopService", "GetItem", "GetItemRequest", "Item", False, False, policy
    )
    access = policy_pb2.ServiceAccess(admin_scope=admin_scope)
    return ServiceContract(
        "acme.shop.v1.ShopService", "acme.shop.v1", "shop.proto", Lifecycle(), (method,), access
    )


@pytest.mark.parametrize(
    ("was", "now", "expected"),
    [
        ("shop:admin", "shop:staff", "admin scope changed from 'shop:admin' to 'shop:staff'"),
        ("shop:admin", "", "admin scope 'shop:admin' was removed"),
    ],
)
def test_an_admin_scope_that_changes_or_goes_away_needs_a_new_version(
    was: str, now: str, expected: str
) -> None:
    (problem,) = access_changes(_guarded_by(was), _guarded_by(now))
    assert problem.startswith(f"acme.shop.v1.ShopService: {expected}: staff holding")
    assert f"`{next_version('acme.shop.v1.ShopService')}`" in problem


@pytest.mark.parametrize(("was", "now"), [("", "shop:admin"), ("shop:admin", "shop:admin")])
def test_naming_an_admin_scope_or_keeping_it_passes(was: str, now: str) -> None:
    assert access_changes(_guarded_by(was), _guarded_by(now)) == []


def test_an_admin_scope_removed_with_the_last_owner_check_passes() -> None:
    # Every caller with the method's scopes now reads every record: nobody lost access.
    assert access_changes(_guarded_by("shop:admin"), _guarded_by("", owner_field="")) == []
