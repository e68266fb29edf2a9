"""SendNotification: a notification another service asks for, made once per caller-chosen id.

Marketing's recommendation emails, monitor's notices and device suggestions come this way,
over gRPC through the gateway (scope `notifications:send`). The caller's `notification_id` is
the idempotency key: a retry after a timeout or a redelivered event sends nothing twice, and
the same id with other content is refused rather than silently answered with the first.

Ids are namespaced per caller: a service calling as `svc-<name>` may use only ids that begin
with `<name>.`. Otherwise one service could claim an id another will use (`monitor.<ticket>`)
and that service's own send would then be refused as a reuse. The namespace is letters,
digits and '-' only: ids are stored under key-safe forms that turn '.', ':' and '_' into
'_', and without '_' in a namespace no two namespaces share a key-safe form either.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from acme.notifications.v1 import notifications_pb2 as pb

from accord.identity import Principal
from accord.keys import SERVICE_SUBJECT_PREFIX
from accord.rpc_status import RpcError, error_info, field_violation
from accord.timestamps import timestamp
from accord.validation import Violations, check, id_violations
from services.notifications.routing import ALL_CHANNELS, Router
from services.notifications.store import NotificationStore

_NOTIFICATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_EVENT_TYPE = 200
MAX_ATTRIBUTES = 32
# Attributes are for programs: short keys and values keep every channel's payload small.
MAX_ATTRIBUTE_LENGTH = 256


def violations_of(request: pb.SendNotificationRequest) -> Violations:
    violations: Violations = []
    if not _NOTIFICATION_ID.fullmatch(request.notification_id):
        violations.append(
            field_violation(
                "notification_id", "must be 1 to 128 letters, digits, '.', ':', '-' or '_'"
            )
        )
    violations += id_violations("customer_id", request.customer_id)
    if not 0 < len(request.title) <= MAX_TITLE:
        violations.append(field_violation("title", f"must be 1 to {MAX_TITLE} characters"))
    if len(request.body) > MAX_BODY:
        violations.append(field_violation("body", f"must be at most {MAX_BODY} characters"))
    if not 0 < len(request.event_type) <= MAX_EVENT_TYPE:
        violations.append(
            field_violation("event_type", f"must be 1 to {MAX_EVENT_TYPE} characters")
        )
    if len(request.attributes) > MAX_ATTRIBUTES or any(
        not key or len(key) > MAX_ATTRIBUTE_LENGTH or len(value) > MAX_ATTRIBUTE_LENGTH
        for key, value in request.attributes.items()
    ):
        violations.append(
            field_violation(
                "attributes",
                f"at most {MAX_ATTRIBUTES} entries, each key 1 to {MAX_ATTRIBUTE_LENGTH} and "
                f"each value at most {MAX_ATTRIBUTE_LENGTH} characters",
            )
        )
    if any(channel not in ALL_CHANNELS for channel in request.channels):
        violations.append(
            field_violation(
                "channels", "must name CHANNEL_IN_APP, CHANNEL_EMAIL or CHANNEL_WEBHOOK"
            )
        )
    return violations


@dataclass(frozen=True, slots=True)
class Sending:
    store: NotificationStore
    router: Router

    async def send(
        self, request: pb.SendNotificationRequest, caller: Principal
    ) -> pb.SendNotificationResponse:
        namespace = namespace_of(caller)
        violations = violations_of(request)
        if not violations and not request.notification_id.startswith(f"{namespace}."):
            violations.append(
                field_violation(
                    "notification_id", f"must begin with '{namespace}.', the caller's namespace"
                )
            )
        check(violations)
        notification = await self.store.get(request.notification_id)
        if notification is None:
            notification = _notification_of(request)
        elif not _same_content(notification, request):
            raise RpcError(
                grpc.StatusCode.ALREADY_EXISTS,
                f"notification {request.notification_id} was already sent with other content",
                error_info("NOTIFICATION_ID_REUSED", notificationId=request.notification_id),
            )
        # Routing a stored notification again completes a first attempt that stopped half
        # way, and answers the channels it took.
        delivered = await self.router.route(notification)
        return pb.SendNotificationResponse(notification=notification, delivered_channels=delivered)


def namespace_of(caller: Principal) -> str:
    """The ids a caller may use begin with this and a '.'; PERMISSION_DENIED for a caller
    that is not a service (the contract: services call SendNotification as themselves)."""
    name = caller.subject.removeprefix(SERVICE_SUBJECT_PREFIX)
    if not caller.subject.startswith(SERVICE_SUBJECT_PREFIX) or not _NAMESPACE.fullmatch(name):
        raise RpcError(
            grpc.StatusCode.PERMISSION_DENIED,
            "SendNotification is for services calling as svc-<name> (letters, digits, '-')",
            error_info("NOT_A_SERVICE"),
        )
    return name


def _notification_of(request: pb.SendNotificationRequest) -> pb.Notification:
    return pb.Notification(
        notification_id=request.notification_id,
        customer_id=request.customer_id,
        title=request.title,
        body=request.body,
        event_type=request.event_type,
        create_time=timestamp(datetime.now(UTC)),
        attributes=dict(request.attributes),
        channels=sorted(set(request.channels)),
    )


def _same_content(stored: pb.Notification, request: pb.SendNotificationRequest) -> bool:
    return (
        stored.customer_id == request.customer_id
        and stored.title == request.title
        and stored.body == request.body
        and stored.event_type == request.event_type
        and dict(stored.attributes) == dict(request.attributes)
        and list(stored.channels) == sorted(set(request.channels))
    )
