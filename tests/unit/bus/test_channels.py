"""Channel parameters: addresses as templates, subjects from values or the payload."""

import pytest
from acme_events.devices import CONTRACT as DEVICES
from acme_events.notifications import CONTRACT as NOTIFICATIONS
from acme_events.notifications.messages.json import Notification

from accord.events._channels import parameters_of, pattern_of, subject_of, values_in

ADDRESS = "acme.devices.v1.device.{deviceId}.schedule"


def test_an_address_names_its_parameters_and_stands_for_a_pattern() -> None:
    assert parameters_of(ADDRESS) == ("deviceId",)
    assert pattern_of(ADDRESS) == "acme.devices.v1.device.*.schedule"
    assert pattern_of("acme.orders.v1.order.placed") == "acme.orders.v1.order.placed"


def test_a_subject_fills_each_parameter_with_one_token() -> None:
    assert subject_of(ADDRESS, {"deviceId": "hall-1"}) == "acme.devices.v1.device.hall-1.schedule"
    assert values_in(ADDRESS, "acme.devices.v1.device.hall-1.schedule") == {"deviceId": "hall-1"}
    assert values_in(ADDRESS, "acme.devices.v1.device.hall-1.adjusted") is None


@pytest.mark.parametrize("value", ["", "a.b", "*", ">", "a b", "a\tb", "x>"])
def test_a_value_that_is_not_one_token_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="must be one subject token"):
        subject_of(ADDRESS, {"deviceId": value})


def test_a_missing_parameter_is_named() -> None:
    with pytest.raises(ValueError, match="needs the parameter 'deviceId'"):
        subject_of(ADDRESS, {})


def test_the_contract_reads_a_parameters_location_in_the_payload() -> None:
    operation = NOTIFICATIONS.operation("sendInAppNotification")
    assert operation.parameters == (("customerId", "customerId"),)
    notification = Notification(
        notification_id="n-1",
        customer_id="alice",
        title="t",
        body="b",
        event_type="e",
        create_time="2026-12-01T10:00:00Z",
    )
    assert operation.subject(None, notification) == "acme.notifications.v1.inapp.alice"
    assert operation.subject({"customerId": "bob"}, notification).endswith(".bob")
    schedule = DEVICES.operation("sendDeviceSchedule")
    assert schedule.pattern == "acme.devices.v1.device.*.schedule"


def test_a_consumer_filters_on_the_pattern_of_its_channel() -> None:
    consumer = DEVICES.operation("receiveDeviceAdjusted").consumer
    assert consumer is not None
    assert consumer.subject == "acme.devices.v1.device.*.adjusted"
