"""A notification's JSON form (every channel's) and its protobuf message say the same thing."""

from datetime import UTC, datetime

import pytest
from acme.notifications.v1 import notifications_pb2 as pb

from accord.timestamps import timestamp
from services.notifications.payloads import canonical_json, from_json_model, to_json_model


def _notification(**attributes: str) -> pb.Notification:
    return pb.Notification(
        notification_id="orders.o-1.placed",
        customer_id="c-1",
        title="Order o-1 is placed",
        body="",
        event_type="acme.orders.v1.order-placed",
        create_time=timestamp(datetime(2026, 12, 2, 20, 0, 1, 123456, tzinfo=UTC)),
        attributes=attributes,
    )


@pytest.mark.parametrize("attributes", [{}, {"orderId": "o-1", "status": "PLACED"}])
def test_the_json_form_reads_back_as_the_same_message(attributes: dict[str, str]) -> None:
    notification = _notification(**attributes)
    assert from_json_model(to_json_model(notification)) == notification


def test_a_notification_without_attributes_has_none_in_its_json() -> None:
    assert b"attributes" not in canonical_json(to_json_model(_notification()))
    assert b'"createTime":"2026-12-02T20:00:01.123456Z"' in canonical_json(
        to_json_model(_notification())
    )


def test_a_field_a_later_contract_adds_is_read_past() -> None:
    notification = _notification(orderId="o-1")
    later = to_json_model(notification).model_dump(by_alias=True, exclude_unset=True)
    newer = type(to_json_model(notification)).model_validate({**later, "priority": "high"})
    assert from_json_model(newer) == notification
