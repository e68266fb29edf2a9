"""Customers' notifications in the `notifications` key-value bucket (declared in the contract).

Key `customer.<customer_id>.<notification_id>`; the notification id is the id of the event
that caused it, so writing it with `create` makes a redelivered event a no-op.
"""

from dataclasses import dataclass

from acme.notifications.v1 import notifications_pb2 as pb
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord.kv import keys_matching

BUCKET = "notifications"


@dataclass(frozen=True)
class Page:
    notifications: list[pb.Notification]
    last_key: str | None  # set when more may follow


def _key_safe(notification_id: str) -> str:
    # Event ids may hold characters keys may not ('.', ':'); keys allow [-/_=.a-zA-Z0-9] and
    # use '.' as the token separator, so anything else becomes '_'.
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in notification_id)


class NotificationStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> "NotificationStore":
        return cls(await js.key_value(BUCKET))

    async def add(self, notification: pb.Notification) -> bool:
        """Store it once; False when this notification was already stored.

        The key is made of the event's own time and id, so a redelivered event finds its key
        taken; the time prefix makes keys sort oldest first.
        """
        stamp = notification.create_time.ToNanoseconds()
        safe_id = _key_safe(notification.notification_id)
        key = f"customer.{notification.customer_id}.{stamp:020d}-{safe_id}"
        try:
            await self._kv.create(key, notification.SerializeToString())
        except KeyWrongLastSequenceError:
            return False
        return True

    async def list(self, customer_id: str, page_size: int, after_key: str) -> Page:
        keys = sorted(await keys_matching(self._kv, f"customer.{customer_id}.*"))
        remaining = [key for key in keys if key > after_key]
        chosen = remaining[:page_size]
        notifications = []
        for key in chosen:
            entry = await self._kv.get(key)
            notifications.append(pb.Notification.FromString(entry.value or b""))
        more = len(remaining) > page_size
        return Page(notifications, chosen[-1] if more and chosen else None)
