"""The notice that tells an owner about a suggestion: derived from the suggestion alone."""

from datetime import UTC, date, datetime

from acme.notifications.v1 import notifications_pb2 as notes

from services.devices.notifier import request_of
from services.devices.records import DeviceRecord, SuggestionRecord

MOMENT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DEVICE = DeviceRecord(device_id="hall-1", owner_id="alice", display_name="Hall", created_at=MOMENT)
SUGGESTION = SuggestionRecord(
    suggestion_id="sg-hall-1-215-0700",
    device_id="hall-1",
    owner_id="alice",
    setpoint_tenths=215,
    minute=7 * 60,
    days=[date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)],
    created_at=MOMENT,
)


def test_the_notice_goes_in_app_to_the_owner_under_an_id_of_the_suggestion() -> None:
    request = request_of(DEVICE, SUGGESTION)
    assert request.notification_id == "devices.sg-hall-1-215-0700"
    assert request.customer_id == "alice"
    assert list(request.channels) == [notes.CHANNEL_IN_APP]
    assert request.event_type == "acme.devices.v1.suggestion"
    assert request.title == "Set Hall to 21.5 °C every day at 07:00?"
    assert "on 3 of the last 7 days" in request.body
    assert dict(request.attributes) == {
        "suggestionId": "sg-hall-1-215-0700",
        "deviceId": "hall-1",
        "setpointCelsius": "21.5",
        "localTime": "07:00",
    }


def test_a_retry_sends_exactly_the_same_request() -> None:
    # notifications refuses a repeated id with other content: nothing here may vary.
    later = SUGGESTION.model_copy(update={"notified": True})
    assert request_of(DEVICE, SUGGESTION) == request_of(DEVICE, later)
