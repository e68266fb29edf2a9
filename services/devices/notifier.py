"""Telling an owner about a suggestion: in the app, through the notifications service.

Devices never writes to the owner itself: it calls `NotificationService/SendNotification`
through the gateway, with its own API key (scope `notifications:send`), like any client. The
notification id is derived from the suggestion id, so a retried event (the call timed out
after it was made) tells the owner once; every field is derived from the stored suggestion,
so the retry sends the same content, which notifications requires of a repeated id.

A failure raises: the adjustment event that found the habit is retried with the contract's
backoff, and the suggestion, stored as not yet notified, is told on that retry.
"""

from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc

from accord.gateway_client import GatewayClient, refusals_are_final
from services.devices.records import DeviceRecord, SuggestionRecord, local_time

SCOPES = ("notifications:send",)
EVENT_TYPE = "acme.devices.v1.suggestion"


def notification_id(suggestion_id: str) -> str:
    return f"devices.{suggestion_id}"


def request_of(device: DeviceRecord, suggestion: SuggestionRecord) -> notes.SendNotificationRequest:
    name = device.display_name or device.device_id
    when = local_time(suggestion.minute)
    celsius = f"{suggestion.setpoint_tenths / 10:.1f}"
    days = len(suggestion.days)
    return notes.SendNotificationRequest(
        notification_id=notification_id(suggestion.suggestion_id),
        customer_id=suggestion.owner_id,
        title=f"Set {name} to {celsius} °C every day at {when}?",
        body=(
            f"You set {name} to about {celsius} °C around {when} on {days} of the last 7 "
            "days. Accept this suggestion and the thermostat will do it for you every day; "
            "decline it and we will not suggest it again."
        ),
        event_type=EVENT_TYPE,
        attributes={
            "suggestionId": suggestion.suggestion_id,
            "deviceId": suggestion.device_id,
            "setpointCelsius": celsius,
            "localTime": when,
        },
        channels=[notes.CHANNEL_IN_APP],
    )


class Notifier:
    def __init__(self, client: GatewayClient, timeout: float) -> None:
        self._stub = notes_grpc.NotificationServiceStub(client.channel)
        self._timeout = timeout

    async def suggest(self, device: DeviceRecord, suggestion: SuggestionRecord) -> None:
        # wait_for_ready: the gateway may start after this service; the timeout bounds it.
        with refusals_are_final(f"notifications refused suggestion {suggestion.suggestion_id}"):
            await self._stub.SendNotification(
                request_of(device, suggestion), timeout=self._timeout, wait_for_ready=True
            )
