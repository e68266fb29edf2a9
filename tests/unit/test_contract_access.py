"""A service's admin scope is its contract's (accord.descriptors, accord.access), never a
constant in its code: read from the `access` option, else from its methods' policies."""

from pathlib import Path

import pytest
from accordapis.options.v1 import policy_pb2
from acme.payments.v1 import payments_pb2
from acme.support.v1 import support_pb2

from accord.access import Access
from accord.descriptors import MethodContract, ServiceContract, load_image, services_in
from accord.identity import Principal
from accord.tooling.contracts._policy import lint_access

SERVICE = "acme.shop.v1.ShopService"


def _method(name: str, admin_scope: str) -> MethodContract:
    policy = policy_pb2.MethodPolicy(
        required_scopes=["shop:read"], owner_field="customer_id", admin_scope=admin_scope
    )
    return MethodContract(
        SERVICE, name, "acme.shop.v1.Req", "acme.shop.v1.Res", False, False, policy
    )


def _service(access: str, *method_scopes: str) -> ServiceContract:
    methods = tuple(_method(f"M{i}", scope) for i, scope in enumerate(method_scopes))
    return ServiceContract(
        SERVICE,
        "acme.shop.v1",
        "acme/shop/v1/shop.proto",
        policy_pb2.ServiceLifecycle(),
        methods,
        policy_pb2.ServiceAccess(admin_scope=access),
    )


def test_the_access_option_names_the_admin_scope() -> None:
    assert _service("shop:admin").admin_scope == "shop:admin"
    assert _service("shop:admin", "shop:admin", "").admin_scope == "shop:admin"


def test_without_the_option_the_methods_policies_name_it() -> None:
    assert _service("", "", "shop:staff").admin_scope == "shop:staff"
    assert _service("", "").admin_scope == ""


def test_a_contract_naming_two_admin_scopes_is_refused_at_start_and_by_lint() -> None:
    with pytest.raises(ValueError, match="several admin scopes"):
        _ = _service("", "shop:admin", "shop:staff").admin_scope
    assert lint_access(_service("", "shop:admin", "shop:staff"))
    assert lint_access(_service("shop:admin", "shop:staff"))
    assert lint_access(_service("shop:admin", "shop:admin")) == []


def test_every_service_of_the_reference_business_names_one_admin_scope(
    repo_root: Path,
) -> None:
    services = services_in(load_image(repo_root / "gen/python/contracts.binpb"))
    acme = [service for service in services if service.package.startswith("acme.")]
    assert acme
    for service in acme:
        assert service.access.admin_scope, service.full_name
        assert lint_access(service) == [], service.full_name


def test_a_service_reads_its_access_rules_from_its_generated_contract() -> None:
    payments = Access.of(payments_pb2.DESCRIPTOR.services_by_name["PaymentService"].full_name)
    support = Access.of(support_pb2.DESCRIPTOR.services_by_name["SupportService"].full_name)
    assert payments.admin_scope == "payments:admin"
    assert support.admin_scope == "support:staff"
    staff = Principal(subject="staff-1", scopes=frozenset({"payments:admin"}), via="jwt")
    assert payments.may_see(staff, "someone-else")
    assert not support.may_see(staff, "someone-else")
