"""Policy and lifecycle options, read back from a real buf build, and the policy lint.

One module holds a service per defect, so the whole lint runs buf once.
"""

from pathlib import Path

import pytest
from accordapis.options.v1 import policy_pb2

from accord.descriptors import services_in
from accord.tooling.contracts import _buf
from accord.tooling.contracts.lint import lint_protobuf
from tests.unit.contracts.protos import SHOP, make_module, rpc, service, shop_proto, write_file

OWNED = 'required_scopes: ["shop:read"] owner_field: "customer_id" admin_scope: "shop:admin"'
COMPLETE = (
    'stage: STAGE_DEPRECATED deprecated_date: "2026-11-01" sunset_date: "2027-06-30" '
    'successor: "acme.shop.v1.GoodService" migration_guide_url: "https://example.com/guide"'
)
BAD_METHODS = {
    "NoPolicy": (None, "has no policy: add option (accordapis.options.v1.policy)"),
    "PublicWithScopes": (
        'public: true required_scopes: ["a"]',
        "is public but requires scopes ['a']",
    ),
    "Neither": ('owner_field: "customer_id"', "no required scope and no `public: true`"),
    "Blank": ('required_scopes: [" "]', "has a blank required scope"),
    "AdminAlone": ('required_scopes: ["a"] admin_scope: "x"', "admin_scope 'x' without owner"),
    "OwnerMissing": (
        'required_scopes: ["a"] owner_field: "nope"',
        ": owner_field 'nope' is not a field of acme.shop.v1.GetItemRequest",
    ),
    "OwnerRepeated": (
        'required_scopes: ["a"] owner_field: "tags"',
        ": owner_field 'tags' of acme.shop.v1.GetItemRequest must be a single string field",
    ),
    "OwnerNotString": (
        'required_scopes: ["a"] owner_field: "count"',
        ": owner_field 'count' of acme.shop.v1.GetItemRequest must be a single string field",
    ),
}
BAD_LIFECYCLES = {
    "NoDatesService": ("stage: STAGE_DEPRECATED", "needs deprecated_date as an ISO date, got ''"),
    "NoSunsetService": ("stage: STAGE_SUNSET", "needs sunset_date as an ISO date, got ''"),
    "NoSuccessorService": ("stage: STAGE_DEPRECATED", "needs a successor"),
    "BadDateService": (
        'stage: STAGE_DEPRECATED deprecated_date: "2026-13-01"',
        "needs deprecated_date as an ISO date, got '2026-13-01'",
    ),
    "ReversedService": (
        'stage: STAGE_DEPRECATED deprecated_date: "2027-01-02" sunset_date: "2027-01-01"',
        ": deprecated_date 2027-01-02 is after sunset_date 2027-01-01",
    ),
    "UnknownSuccessorService": (
        'stage: STAGE_DEPRECATED successor: "acme.shop.v9.Nope"',
        ": successor 'acme.shop.v9.Nope' is not another service",
    ),
    "SelfSuccessorService": (
        'stage: STAGE_DEPRECATED successor: "acme.shop.v1.SelfSuccessorService"',
        ": successor 'acme.shop.v1.SelfSuccessorService' is not another service",
    ),
}


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_module(tmp_path_factory.mktemp("shop"))
    good = service("GoodService", rpc("GetItem", OWNED), rpc("Open", "public: true"))
    deprecated = service("OldService", rpc("GetItem", OWNED), lifecycle=COMPLETE)
    bad_methods = service(
        "BadService", *(rpc(name, policy) for name, (policy, _) in BAD_METHODS.items())
    )
    bad_lifecycles = [
        service(name, rpc("Open", "public: true"), lifecycle=text)
        for name, (text, _) in BAD_LIFECYCLES.items()
    ]
    write_file(root, f"proto/{SHOP}", shop_proto(good, deprecated, bad_methods, *bad_lifecycles))
    return root


@pytest.fixture(scope="module")
def problems(module: Path) -> list[str]:
    return lint_protobuf(module)


def test_options_read_back_from_descriptors(module: Path) -> None:
    services = {s.full_name: s for s in services_in(_buf.build(module), [SHOP])}
    old = services["acme.shop.v1.OldService"]
    assert old.stage == policy_pb2.ServiceLifecycle.STAGE_DEPRECATED
    assert (old.lifecycle.deprecated_date, old.lifecycle.sunset_date) == (
        "2026-11-01",
        "2027-06-30",
    )
    assert old.lifecycle.successor == "acme.shop.v1.GoodService"
    assert old.lifecycle.migration_guide_url == "https://example.com/guide"
    get_item, open_ = services["acme.shop.v1.GoodService"].methods
    assert get_item.policy is not None
    assert list(get_item.policy.required_scopes) == ["shop:read"]
    assert (get_item.policy.owner_field, get_item.policy.admin_scope) == (
        "customer_id",
        "shop:admin",
    )
    assert open_.policy is not None
    assert open_.policy.public
    assert services["acme.shop.v1.GoodService"].stage == policy_pb2.ServiceLifecycle.STAGE_STABLE


def test_only_the_module_own_files_are_linted(module: Path) -> None:
    assert sorted(_buf.own_files(module)) == [
        "accordapis/options/v1/calls.proto",
        "accordapis/options/v1/policy.proto",
        SHOP,
    ]


def test_a_method_without_policy_is_named(problems: list[str]) -> None:
    expected = (
        "acme.shop.v1.BadService.NoPolicy has no policy: add option (accordapis.options.v1.policy)"
    )
    assert expected in problems


@pytest.mark.parametrize("method", sorted(BAD_METHODS))
def test_a_policy_that_cannot_work_is_refused(problems: list[str], method: str) -> None:
    name, fragment = f"acme.shop.v1.BadService.{method}", BAD_METHODS[method][1]
    assert any(p.startswith(name) and fragment in p for p in problems), problems


@pytest.mark.parametrize("name", sorted(BAD_LIFECYCLES))
def test_an_incomplete_deprecation_is_refused(problems: list[str], name: str) -> None:
    expected = f"acme.shop.v1.{name}"
    assert any(p.startswith(expected) and BAD_LIFECYCLES[name][1] in p for p in problems), problems


def test_complete_policies_and_lifecycles_pass(problems: list[str]) -> None:
    named = [
        p for p in problems if p.startswith(("acme.shop.v1.GoodService", "acme.shop.v1.OldService"))
    ]
    assert named == []
    # One problem per bad method; each bad lifecycle has at most its few missing parts.
    assert len([p for p in problems if p.startswith("acme.shop.v1.BadService")]) == len(BAD_METHODS)


def test_a_proto_that_does_not_compile_is_reported(tmp_path: Path) -> None:
    make_module(tmp_path)
    write_file(tmp_path, f"proto/{SHOP}", "syntax = 'proto3'; message {")
    (problem,) = lint_protobuf(tmp_path)
    assert problem.startswith("buf build failed:")
    assert "shop.proto" in problem
