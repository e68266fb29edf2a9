"""AsyncAPI documents against the vendored AsyncAPI 3.0.0 schema, and their payloads."""

from pathlib import Path
from typing import Any

from accord.tooling.contracts._schemas import load_schema
from accord.tooling.contracts._sources import WorkingTree
from accord.tooling.contracts.lint import lint_asyncapi
from tests.unit.contracts.docs import DOCUMENT, SHARED, copy_fixtures, dump, load


def lint_changed(tmp_path: Path, document: Any, shared: Any = None) -> list[str]:
    copy_fixtures(tmp_path)
    dump(tmp_path, DOCUMENT, document)
    if shared is not None:
        dump(tmp_path, SHARED, shared)
    return lint_asyncapi(WorkingTree(tmp_path))


def test_the_vendored_schema_is_asyncapi_3_0_0() -> None:
    schema = load_schema("asyncapi-3.0.0.json")
    assert schema["properties"]["asyncapi"]["const"] == "3.0.0"
    assert "$id" not in schema  # the bundled variant: every $ref is local, nothing is fetched


def test_the_fixture_document_passes(tmp_path: Path) -> None:
    assert lint_asyncapi(WorkingTree(copy_fixtures(tmp_path))) == []


def test_a_broken_document_is_named_with_paths(tmp_path: Path) -> None:
    document = load(DOCUMENT)
    document["operations"]["sendItemAdded"]["action"] = "publish"
    document["channels"]["itemAdded"]["adress"] = "typo"
    del document["info"]["version"]

    problems = lint_changed(tmp_path, document)

    assert problems == [
        f"{DOCUMENT}: $.channels.itemAdded: unknown field 'adress' (extension fields must "
        "start with 'x-')",
        f"{DOCUMENT}: $.info: 'version' is a required property",
        f"{DOCUMENT}: $.operations.sendItemAdded.action: 'publish' is not one of "
        "['send', 'receive']",
    ]


def test_another_asyncapi_version_is_refused(tmp_path: Path) -> None:
    document = load(DOCUMENT)
    document["asyncapi"] = "2.6.0"
    assert f"{DOCUMENT}: $.asyncapi: '3.0.0' was expected" in lint_changed(tmp_path, document)


def test_an_error_in_a_shared_file_is_found_where_it_is_used(tmp_path: Path) -> None:
    shared = load(SHARED)
    shared["Item"]["properties"]["itemId"]["type"] = "text"

    problems = lint_changed(tmp_path, load(DOCUMENT), shared)

    where = "$.channels.itemAdded.messages.itemAdded.payload.properties.itemId.type"
    assert problems[0].startswith(f"{DOCUMENT}: {where}: 'text' is not one of ['array'")
    # The payload is also checked as a JSON Schema of its own, once (not once per use).
    checked = [p for p in problems if "not a valid JSON Schema" in p]
    assert checked == [
        f"{DOCUMENT}: {where}: not a valid JSON Schema: "
        "'text' is not valid under any of the given schemas"
    ]


def test_a_payload_is_checked_against_the_draft_it_declares(tmp_path: Path) -> None:
    document = load(DOCUMENT)
    payload = {"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": 3}
    document["channels"]["priceReply"]["messages"]["priceReply"]["payload"] = payload

    problems = lint_changed(tmp_path, document)

    where = "$.channels.priceReply.messages.priceReply.payload.prefixItems"
    assert problems == [f"{DOCUMENT}: {where}: not a valid JSON Schema: 3 is not of type 'array'"]


def test_an_unresolvable_reference_is_reported(tmp_path: Path) -> None:
    document = load(DOCUMENT)
    document["components"]["messages"]["ItemAdded"]["payload"] = {"$ref": "common/nope.yaml#/X"}

    problems = lint_changed(tmp_path, document)

    where = "$.channels.itemAdded.messages.itemAdded.payload"
    assert problems[0].startswith(
        f"{DOCUMENT}: {where}: cannot resolve $ref 'common/nope.yaml#/X': [Errno 2] No such file"
    )
    assert len([p for p in problems if "cannot resolve" in p]) == 1


def test_unreadable_yaml_is_reported(tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    (tmp_path / DOCUMENT).write_text("asyncapi: [3.0.0\n")
    (problem,) = lint_asyncapi(WorkingTree(tmp_path))
    assert problem.startswith(f"{DOCUMENT}: cannot read:")


def test_only_top_level_documents_are_linted(tmp_path: Path) -> None:
    copy_fixtures(tmp_path)
    assert WorkingTree(tmp_path).asyncapi_documents() == [DOCUMENT]
