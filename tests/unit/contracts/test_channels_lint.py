"""`make lint` refuses two senders on one channel, and parameters that miss their address."""

import copy
from pathlib import Path

from accord.tooling.contracts._sources import WorkingTree
from accord.tooling.contracts.lint import lint_asyncapi
from tests.unit.contracts.docs import DOCUMENT, copy_fixtures, dump, load

OTHER = "asyncapi/warehouse.yaml"


def _lint(tmp_path: Path) -> list[str]:
    return lint_asyncapi(WorkingTree(tmp_path))


def test_a_second_document_sending_on_a_channel_is_refused(tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    warehouse = copy.deepcopy(load(DOCUMENT))
    warehouse["info"]["title"] = "Warehouse"
    warehouse.pop("x-jetstream")  # its streams would clash as well: not what this is about
    warehouse["operations"] = {
        "sendItemAdded": warehouse["operations"]["sendItemAdded"],
    }
    dump(tmp_path, OTHER, warehouse)

    problems = _lint(tmp_path)

    assert problems == [
        f"{OTHER}: operation sendItemAdded sends on 'acme.shop.v1.item.added', a channel that "
        f"{DOCUMENT} (operation sendItemAdded) sends on: one service owns a channel, and only "
        "its identity may publish there"
    ]


def test_a_document_receiving_another_ones_channel_passes(tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    warehouse = copy.deepcopy(load(DOCUMENT))
    warehouse.pop("x-jetstream")
    warehouse["operations"] = {"receiveItemAdded": warehouse["operations"]["receiveItemAdded"]}
    warehouse["operations"]["receiveItemAdded"]["bindings"]["nats"]["x-jetstream"]["durable"] = (
        "warehouse-item-added"
    )
    dump(tmp_path, OTHER, warehouse)

    assert _lint(tmp_path) == []


def test_a_parameter_used_but_not_declared_or_declared_but_unused_is_named(
    tmp_path: Path,
) -> None:
    copy_fixtures(tmp_path)
    document = load(DOCUMENT)
    changed = document["channels"]["itemChanged"]
    changed["address"] = "acme.shop.v1.item.{sku}.changed"

    problems = _lint_with(tmp_path, document)

    where = f"{DOCUMENT}: channels.itemChanged"
    assert problems == [
        f"{where}: address 'acme.shop.v1.item.{{sku}}.changed' uses parameter 'sku', which "
        "the channel does not declare under `parameters`",
        f"{where}: parameter 'itemId' is declared but does not appear in the address "
        "'acme.shop.v1.item.{sku}.changed'",
    ]


def test_a_wildcard_in_an_address_is_refused(tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    document = load(DOCUMENT)
    del document["channels"]["itemChanged"]["parameters"]
    document["channels"]["itemChanged"]["address"] = "acme.shop.v1.item.*.changed"

    problems = _lint_with(tmp_path, document)

    assert problems == [
        f"{DOCUMENT}: channels.itemChanged: address 'acme.shop.v1.item.*.changed' holds a NATS "
        "wildcard; name the varying token as a parameter instead (`{customerId}`, declared "
        "under `parameters`)"
    ]


def test_a_parameter_inside_a_token_is_refused(tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    document = load(DOCUMENT)
    document["channels"]["itemChanged"]["address"] = "acme.shop.v1.item-{itemId}.changed"

    problems = _lint_with(tmp_path, document)

    assert any("must be a whole subject token, not part of 'item-{itemId}'" in p for p in problems)


def _lint_with(tmp_path: Path, document: object) -> list[str]:
    dump(tmp_path, DOCUMENT, document)
    return _lint(tmp_path)
