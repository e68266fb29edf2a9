"""The x-jetstream extension: its JSON Schema, and the topology rules across documents."""

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from accord.events._document import resolve
from accord.tooling.contracts._jetstream import lint_jetstream
from accord.tooling.contracts._schemas import load_schema
from accord.tooling.contracts._sources import WorkingTree
from tests.unit.contracts.docs import DOCUMENT, FIXTURES

Change = Callable[[Any], None]
CONSUMER = "operations.receiveItemAdded.bindings.nats.x-jetstream"


def fixture_document() -> Any:
    """The fixture, references resolved as `accord lint` resolves them."""
    return resolve(DOCUMENT, WorkingTree(FIXTURES).read).resolved


def lint(*changes: Change, others: dict[str, Any] | None = None) -> list[str]:
    document = fixture_document()
    for change in changes:
        change(document)
    return lint_jetstream({"asyncapi/shop.yaml": document, **(others or {})})


def at(path: str, value: Any) -> Change:
    """A change that sets a dotted path (list items by index) to `value`."""

    def change(document: Any) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = document
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema("x-jetstream.json"))


def test_the_fixture_passes() -> None:
    assert lint() == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("x-jetstream.streams.0.retention", "forever", "$.x-jetstream.streams[0].retention: "),
        ("x-jetstream.streams.0.replicas", 6, "$.x-jetstream.streams[0].replicas: 6 is greater"),
        ("x-jetstream.streams.0.maxAge", "7 days", "maxAge: '7 days' is not valid: A positive"),
        ("x-jetstream.streams.0.subjects", ["a.>.b"], "subjects[0]: 'a.>.b' is not valid"),
        ("x-jetstream.streams.0.name", "shop.events", "name: 'shop.events' is not valid"),
        ("x-jetstream.keyValue.0.history", 65, "keyValue[0].history: 65 is greater than"),
        ("x-jetstream.streams.0.maxMessages", 1, "'maxMessages' was unexpected"),
        ("channels.itemAdded.bindings.nats.x-jetstream", {}, "'stream' is a required"),
        (f"{CONSUMER}.ackWait", "30", f"$.{CONSUMER}.ackWait: '30' is not valid"),
        (f"{CONSUMER}.maxDeliver", 0, f"$.{CONSUMER}.maxDeliver: 0 is less than"),
        (f"{CONSUMER}.deadLetter", "dlq.>", f"$.{CONSUMER}.deadLetter: 'dlq.>' is not valid"),
        (f"{CONSUMER}.fetchBatch", "16", f"$.{CONSUMER}.fetchBatch: '16' is not of type"),
    ],
)
def test_the_schema_refuses_a_bad_field(path: str, value: Any, expected: str) -> None:
    problems = lint(at(path, value))
    assert any(p.startswith(f"{DOCUMENT}: ") and expected in p for p in problems), problems


def test_a_channel_needs_a_declared_stream() -> None:
    (problem,) = lint(at("channels.itemAdded.bindings.nats.x-jetstream.stream", "NOPE"))
    assert problem == (
        f"{DOCUMENT}: channel itemAdded: bindings.nats.x-jetstream.stream: stream 'NOPE' is not "
        "declared in any document's x-jetstream.streams"
    )


def test_the_stream_must_capture_the_channel_address() -> None:
    (problem,) = lint(at("channels.itemAdded.address", "acme.shop.v1.other.added"))
    assert problem.startswith(
        f"{DOCUMENT}: channel itemAdded: bindings.nats.x-jetstream.stream: stream 'SHOP' does "
        "not capture the address 'acme.shop.v1.other.added' (its subjects: acme.shop.v1.item.>)"
    )


def test_a_parameter_is_one_token_that_a_literal_does_not_cover() -> None:
    # acme.shop.v1.item.{itemId}.changed: `*` covers the parameter, a literal token does not.
    covered = at(
        "x-jetstream.streams.0.subjects", ["acme.shop.v1.item.added", "acme.shop.v1.item.*.changed"]
    )
    assert lint(covered) == []
    literal = at(
        "x-jetstream.streams.0.subjects", ["acme.shop.v1.item.added", "acme.shop.v1.item.x.changed"]
    )
    (problem,) = lint(literal)
    assert "channel itemChanged" in problem
    assert "does not capture the address 'acme.shop.v1.item.{itemId}.changed'" in problem


@pytest.mark.parametrize("channel", ["priceRequest", "priceReply"])
def test_no_stream_may_capture_a_request_reply_subject(channel: str) -> None:
    subject = "acme.shop.v1.rpc.price" + (".reply" if channel == "priceReply" else "")
    role = "request" if channel == "priceRequest" else "reply"
    stream = {"name": "RPC", "subjects": [subject]}
    (problem,) = lint(_append_stream(stream))
    assert problem.startswith(
        f"{DOCUMENT}: operation getPrice: {role} channel address {subject!r} is captured by "
        f"stream 'RPC' ({subject}); a request there is answered by the stream's PubAck"
    )


def test_a_wildcard_stream_over_request_subjects_is_caught() -> None:
    problems = lint(_append_stream({"name": "RPC", "subjects": ["acme.shop.v1.rpc.>"]}))
    assert len(problems) == 2  # both the request and the reply subject
    assert all("operation getPrice" in p and "stream 'RPC'" in p for p in problems)


def test_durable_names_are_unique_across_documents() -> None:
    other = fixture_document()
    other["x-jetstream"] = {}
    problems = lint(others={"asyncapi/audit.yaml": other})
    assert (
        "asyncapi/audit.yaml: operation receiveItemAdded: bindings.nats.x-jetstream.durable: "
        "'shop-item-added' is already the durable of asyncapi/shop.yaml operation "
        "receiveItemAdded; durable names must be unique"
    ) in problems


def test_backoff_may_not_outnumber_deliveries() -> None:
    (problem,) = lint(at(f"{CONSUMER}.maxDeliver", 2))
    assert problem == (
        f"{DOCUMENT}: operation receiveItemAdded: bindings.nats.x-jetstream.backoff: 3 delays "
        "but maxDeliver is 2; the extra delays would never be used"
    )


def test_backoff_is_measured_against_the_default_max_deliver() -> None:
    def six_delays(document: Any) -> None:
        consumer = document["operations"]["receiveItemAdded"]["bindings"]["nats"]["x-jetstream"]
        del consumer["maxDeliver"]
        consumer["backoff"] = ["1s"] * 6

    (problem,) = lint(six_delays)
    assert "6 delays but maxDeliver is 5" in problem


def test_a_dead_letter_subject_must_be_stored() -> None:
    (problem,) = lint(at(f"{CONSUMER}.deadLetter", "acme.shop.v1.lost.item-added"))
    assert problem == (
        f"{DOCUMENT}: operation receiveItemAdded: bindings.nats.x-jetstream.deadLetter: no "
        "declared stream captures 'acme.shop.v1.lost.item-added'; a dead letter that nothing "
        "stores is lost"
    )


def test_a_consumer_stream_must_exist_and_capture_the_channel() -> None:
    assert "stream 'NOPE' is not declared" in lint(at(f"{CONSUMER}.stream", "NOPE"))[0]
    (problem,) = lint(at(f"{CONSUMER}.stream", "SHOP_DEADLETTER"))
    assert "does not capture the address 'acme.shop.v1.item.added'" in problem


def test_consumer_settings_belong_on_a_receive_operation() -> None:
    (problem,) = lint(at("operations.receiveItemAdded.action", "send"))
    assert "consumer settings on a 'send' operation" in problem


def test_stream_names_are_unique() -> None:
    twice = {"name": "SHOP", "subjects": ["acme.shop.v1.other.>"]}
    assert f"{DOCUMENT}: x-jetstream: stream 'SHOP' is declared twice" in lint(
        _append_stream(twice)
    )


def test_a_stream_two_documents_share_must_be_declared_identically() -> None:
    other = {"x-jetstream": {"streams": [fixture_document()["x-jetstream"]["streams"][0]]}}
    assert lint(others={"asyncapi/audit.yaml": other}) == []
    other["x-jetstream"]["streams"][0] = {**other["x-jetstream"]["streams"][0], "maxAge": "1d"}
    (problem,) = lint(others={"asyncapi/audit.yaml": other})
    assert problem.startswith(
        "asyncapi/audit.yaml: x-jetstream: stream 'SHOP' is declared differently in "
        "asyncapi/shop.yaml"
    )


def test_streams_may_not_overlap() -> None:
    (problem,) = lint(_append_stream({"name": "ADDED", "subjects": ["acme.shop.v1.item.added"]}))
    assert problem == (
        f"{DOCUMENT}: x-jetstream: streams 'SHOP' (acme.shop.v1.item.>) and 'ADDED' "
        "(acme.shop.v1.item.added) both capture some subjects; NATS refuses overlapping streams"
    )


def _append_stream(stream: dict[str, Any]) -> Change:
    def change(document: Any) -> None:
        streams = document["x-jetstream"]["streams"]
        streams[:] = [s for s in streams if s is not None] + [stream]

    return change
