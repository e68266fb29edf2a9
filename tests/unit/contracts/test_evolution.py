"""AsyncAPI evolution, document against document: what breaks consumers and what does not."""

from collections.abc import Callable
from typing import Any

import pytest

from accord.events._document import resolve
from accord.tooling.contracts._evolution import compare_documents
from accord.tooling.contracts._sources import WorkingTree
from tests.unit.contracts.docs import DOCUMENT, FIXTURES

ADVICE = "publish a new version (`acme.shop.v2.item.added`) beside this one instead"


def baseline() -> Any:
    return resolve(DOCUMENT, WorkingTree(FIXTURES).read).resolved


def item(document: Any) -> Any:
    """The payload of itemAdded (a copy of the shared Item schema after resolution)."""
    return document["channels"]["itemAdded"]["messages"]["itemAdded"]["payload"]


def compare(change: Callable[[Any], object]) -> list[str]:
    new = baseline()
    change(new)
    return compare_documents(DOCUMENT, baseline(), new)


def test_an_unchanged_document_passes() -> None:
    assert compare_documents(DOCUMENT, baseline(), baseline()) == []


BREAKING: dict[str, tuple[Callable[[Any], object], str]] = {
    "removed channel": (
        lambda d: d["channels"].pop("itemAdded"),
        "itemAdded: channel removed (address 'acme.shop.v1.item.added')",
    ),
    "removed message": (
        lambda d: d["channels"]["itemAdded"]["messages"].pop("itemAdded"),
        "itemAdded: message itemAdded removed",
    ),
    "removed property": (
        lambda d: item(d)["properties"].pop("tags"),
        "itemAdded: payload.tags: property removed or renamed",
    ),
    "changed type": (
        lambda d: item(d)["properties"]["tags"]["items"].update(type="integer"),
        "itemAdded: payload.tags[]: type changed from ['string'] to ['integer']",
    ),
    "property made required": (
        lambda d: item(d)["required"].append("status"),
        "itemAdded: payload.status: became required",
    ),
    "new required property": (
        lambda d: (
            item(d)["properties"].update(price={"type": "integer"}),
            item(d)["required"].append("price"),
        ),
        "itemAdded: payload.price: is a new required property",
    ),
    "narrowed enum": (
        lambda d: item(d)["properties"]["status"].update(enum=["NEW"]),
        "itemAdded: payload.status: enum narrowed, ['SOLD'] removed",
    ),
    "changed subject": (
        lambda d: d["channels"]["itemAdded"].update(address="acme.shop.v1.item.created"),
        "itemAdded: address (subject) changed from 'acme.shop.v1.item.added' to "
        "'acme.shop.v1.item.created', so subscribers hear nothing",
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKING))
def test_a_breaking_change_names_channel_and_property(case: str) -> None:
    change, expected = BREAKING[case]
    problems = [p for p in compare(change) if p.startswith(f"{DOCUMENT}: itemAdded:")]
    assert problems == [f"{DOCUMENT}: {expected}; {ADVICE}"]


def test_a_renamed_nested_property_is_named_by_its_path() -> None:
    def rename(document: Any) -> None:
        line = item(document)["properties"]["lines"]["items"]
        line["properties"]["skuCode"] = line["properties"].pop("sku")
        line["required"] = ["skuCode"]

    assert compare(rename) == [
        f"{DOCUMENT}: itemAdded: payload.lines[].sku: property removed or renamed; {ADVICE}",
        f"{DOCUMENT}: itemAdded: payload.lines[].skuCode: is a new required property; {ADVICE}",
    ]


def test_adding_an_optional_property_passes() -> None:
    assert compare(lambda d: item(d)["properties"].update(note={"type": "string"})) == []


def test_adding_a_channel_passes() -> None:
    channel = {"address": "acme.shop.v1.item.sold", "messages": {}}
    assert compare(lambda d: d["channels"].update(itemSold=channel)) == []


def test_widening_an_enum_passes() -> None:
    assert (
        compare(lambda d: item(d)["properties"]["status"].update(enum=["NEW", "SOLD", "X"])) == []
    )


def test_a_shared_base_in_all_of_is_compared_as_merged() -> None:
    def split(document: Any) -> None:
        message = document["channels"]["itemAdded"]["messages"]["itemAdded"]
        payload = message["payload"]
        base = {"type": "object", "properties": {"itemId": payload["properties"].pop("itemId")}}
        message["payload"] = {"allOf": [base, payload]}

    assert compare(split) == []
