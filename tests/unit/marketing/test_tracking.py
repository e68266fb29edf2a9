"""Which browsing events TrackEvents accepts, field by field."""

from acme.marketing.v1 import marketing_pb2 as pb

from services.marketing.tracking import violations


def _fields(request: pb.TrackEventsRequest) -> list[str]:
    return [v.field for v in violations(request)]


def test_a_view_names_a_catalogue_sku_and_nothing_else() -> None:
    good = pb.TrackEventsRequest(
        customer_id="alice", event_id="e-1", kind=pb.BROWSING_EVENT_KIND_VIEW, sku="SKU-TOTE"
    )
    assert _fields(good) == []
    bad = pb.TrackEventsRequest(
        customer_id="alice",
        event_id="e-1",
        kind=pb.BROWSING_EVENT_KIND_CLICK,
        sku="SKU-NOPE",
        query="tote",
    )
    assert _fields(bad) == ["sku", "query"]


def test_a_search_needs_a_query_and_may_name_a_known_category() -> None:
    search = pb.TrackEventsRequest(
        customer_id="alice", event_id="e-2", kind=pb.BROWSING_EVENT_KIND_SEARCH, query="boots"
    )
    assert _fields(search) == []
    search.category = "shoes"
    assert _fields(search) == []
    search.category = "cars"
    search.query = ""
    assert _fields(search) == ["query", "category"]


def test_ids_and_kind_are_required() -> None:
    assert _fields(pb.TrackEventsRequest()) == ["customer_id", "event_id", "kind"]
    assert _fields(pb.TrackEventsRequest(customer_id="a.b", event_id="x" * 65)) == [
        "customer_id",
        "event_id",
        "kind",
    ]
