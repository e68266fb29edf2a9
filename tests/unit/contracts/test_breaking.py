"""`accord breaking` end to end: a throwaway git repository whose `main` holds a baseline,
and a working tree changed on top of it. Each repository is checked once per module."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.tooling.contracts.breaking import breaking_changes
from tests.unit.contracts.docs import DOCUMENT, SHARED, copy_fixtures, dump, load
from tests.unit.contracts.protos import (
    SHOP,
    commit_all_on_main,
    git,
    make_module,
    rpc,
    service,
    shop_proto,
    write_file,
)

BASELINE = {
    "GetItem": 'required_scopes: ["read"]',
    "Open": "public: true",
    "Narrow": 'required_scopes: ["read", "write"]',
    "Owned": 'required_scopes: ["read"] owner_field: "customer_id" admin_scope: "admin"',
}


def write_proto(root: Path, policies: dict[str, str], messages: str = "") -> None:
    shop = service("ShopService", *(rpc(name, policy) for name, policy in policies.items()))
    write_file(root, f"proto/{SHOP}", shop_proto(shop) + messages)


def baseline_repository(root: Path, *, proto: bool = True) -> Path:
    if proto:
        make_module(root)
        write_proto(root, BASELINE)
    copy_fixtures(root)
    commit_all_on_main(root)
    return root


def edit(root: Path, relative: str, change: Any) -> None:
    document = yaml.safe_load((root / relative).read_text())
    change(document)
    dump(root, relative, document)


@pytest.fixture(scope="module")
def tightened(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = baseline_repository(tmp_path_factory.mktemp("tightened"))
    write_proto(
        root,
        {
            **BASELINE,
            "GetItem": 'required_scopes: ["read", "admin"]',
            "Open": 'required_scopes: ["read"]',
            "Owned": 'required_scopes: ["read"] owner_field: "item_id" admin_scope: "admin"',
        },
    )
    (root / "proto" / SHOP).write_text(
        (root / "proto" / SHOP).read_text().replace("  int32 count = 4;\n", "")
    )

    def item(shared: Any) -> None:
        properties = shared["Item"]["properties"]
        del properties["tags"]
        properties["lines"]["items"]["properties"]["quantity"]["type"] = "string"
        properties["status"]["enum"] = ["NEW"]
        properties["price"] = {"type": "integer"}
        shared["Item"]["required"] += ["status", "price"]

    def channels(document: Any) -> None:
        del document["channels"]["itemChanged"]
        document["channels"]["priceRequest"]["address"] = "acme.shop.v1.rpc.quote"
        reply = document["channels"]["priceReply"]["messages"]
        reply["quote"] = reply.pop("priceReply")

    edit(root, SHARED, item)
    edit(root, DOCUMENT, channels)
    write_file(root, "asyncapi/brand-new.yaml", "asyncapi: 3.0.0\n")  # new here: not compared
    return breaking_changes(root, against="main")


@pytest.mark.parametrize(
    "expected",
    [
        "acme.shop.v1.ShopService.GetItem: it newly requires scope admin: this needs a new "
        "version; publish `acme.shop.v2.ShopService` with the new policy instead",
        "acme.shop.v1.ShopService.Open: it is no longer public (now requires ['read'])",
        "acme.shop.v1.ShopService.Owned: owner_field changed from 'customer_id' to 'item_id'",
        f"{DOCUMENT}: itemAdded: payload.tags: property removed or renamed; publish a new "
        "version (`acme.shop.v2.item.added`) beside this one instead",
        f"{DOCUMENT}: itemAdded: payload.lines[].quantity: type changed from ['integer'] to "
        "['string']",
        f"{DOCUMENT}: itemAdded: payload.status: enum narrowed, ['SOLD'] removed",
        f"{DOCUMENT}: itemAdded: payload.status: became required",
        f"{DOCUMENT}: itemAdded: payload.price: is a new required property",
        f"{DOCUMENT}: itemChanged: channel removed "
        "(address 'acme.shop.v1.item.{itemId}.changed')",
        f"{DOCUMENT}: priceRequest: address (subject) changed from 'acme.shop.v1.rpc.price' to "
        "'acme.shop.v1.rpc.quote'",
        f"{DOCUMENT}: priceReply: message priceReply removed",
    ],
)
def test_each_breaking_change_is_reported(tightened: list[str], expected: str) -> None:
    assert any(problem.startswith(expected) for problem in tightened), tightened


def test_buf_breaking_runs_with_the_module_rules(tightened: list[str]) -> None:
    deleted = [p for p in tightened if p.startswith("buf breaking:") and "count" in p]
    assert len(deleted) == 1, tightened
    assert f"{SHOP}" in deleted[0]


def test_a_document_new_on_this_side_is_not_compared(tightened: list[str]) -> None:
    assert not [p for p in tightened if "brand-new" in p]


def test_loosening_and_additions_pass(tmp_path: Path) -> None:
    root = baseline_repository(tmp_path)
    extra = "\n// Note is new.\nmessage Note {\n  // The text.\n  string text = 1;\n}\n"
    write_proto(
        root,
        {
            **BASELINE,
            "GetItem": "public: true",
            "Narrow": 'required_scopes: ["read"]',
            "Owned": 'required_scopes: ["read"]',
            "Added": 'required_scopes: ["new"]',
        },
        extra,
    )
    edit(root, SHARED, lambda s: s["Item"]["properties"].update(note={"type": "string"}))
    sold = {"address": "acme.shop.v1.item.sold", "messages": {}}
    edit(root, DOCUMENT, lambda d: d["channels"].update(itemSold=sold))

    assert breaking_changes(root, against="main") == []


def test_a_removed_document_is_reported(tmp_path: Path) -> None:
    root = baseline_repository(tmp_path, proto=False)
    (root / DOCUMENT).unlink()
    (problem,) = breaking_changes(root, against="main")
    assert problem.startswith(f"{DOCUMENT}: the document was removed")


def test_a_branch_that_does_not_exist_yet_passes(tmp_path: Path) -> None:
    make_module(tmp_path)
    copy_fixtures(tmp_path)
    git(tmp_path, "init", "--quiet", "--initial-branch=main")  # no commit: no `main` yet
    assert breaking_changes(tmp_path, against="main") == []


def test_references_are_resolved_at_the_branch(tmp_path: Path) -> None:
    """The baseline's shared file is read from the ref, not from the working tree."""
    root = baseline_repository(tmp_path, proto=False)
    shared = load(SHARED)
    shared["Item"]["properties"]["itemId"]["type"] = "integer"
    dump(root, SHARED, shared)
    git(root, "commit", "--quiet", "--all", "-m", "itemId as a number")
    # Against main (integer) the working tree (integer) is unchanged...
    assert breaking_changes(root, against="main") == []
    # ...against main~1 (string) it changed type.
    problems = breaking_changes(root, against="main~1")
    changed = "payload.itemId: type changed from ['string'] to ['integer']"
    assert [p.split(";")[0] for p in problems] == [
        f"{DOCUMENT}: itemAdded: {changed}",
        f"{DOCUMENT}: itemChanged: {changed}",
    ]
