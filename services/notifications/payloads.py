"""A notification as the contracts spell it: protobuf for the RPCs, JSON for the channels.

The JSON form (asyncapi/notifications.yaml, schema `Notification`) is what the in-app
stream stores, what every webhook POSTs and what an email is rendered from, so that every
channel says the same thing.
"""

from datetime import UTC

import pydantic_core
from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications.messages import json
from google.protobuf import json_format


def to_json_model(notification: pb.Notification) -> json.Notification:
    fields: dict[str, object] = {
        "notification_id": notification.notification_id,
        "customer_id": notification.customer_id,
        "title": notification.title,
        "body": notification.body,
        "event_type": notification.event_type,
        "create_time": notification.create_time.ToDatetime(tzinfo=UTC),
    }
    # Only set what there is: the events codec leaves unset fields out, and the schema
    # refuses a null.
    if notification.attributes:
        fields["attributes"] = dict(notification.attributes)
    return json.Notification.model_validate(fields)


def from_json_model(model: json.Notification) -> pb.Notification:
    # The schema is the message's protobuf JSON mapping (the same names, RFC 3339 times),
    # so protobuf's own parser reads it.
    data = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    # A field a later contract adds is left out, not an error: old readers keep reading.
    return json_format.ParseDict(data, pb.Notification(), ignore_unknown_fields=True)


def canonical_json(model: json.Notification) -> bytes:
    """The bytes a webhook POSTs: compact, by alias, unset fields left out, so that every
    attempt of a delivery sends (and signs) the very same body."""
    data = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return pydantic_core.to_json(data)
