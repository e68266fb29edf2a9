"""Customers' notifications in the `notifications` key-value bucket (declared in the contract).

Keys:
- `customer.<customer_id>.<time>-<notification_id>`: the notification; its id is the id of
  the event that caused it, so writing it with `create` makes a redelivered event a no-op;
- `id.<notification_id>`: the key above, claimed first, so that a repeat of the event with
  another time finds the same key;
- `routed.<notification_id>`: written once the notification was handed to every channel,
  naming the channels that took it, so that an event seen again (after the streams'
  duplicate window) is not sent again and a repeated SendNotification answers the same;
- `order.<order_id>`: the customer of an order, learnt from order-placed, for the status
  changes of publishers that do not name the customer.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from acme.notifications.v1 import notifications_pb2 as pb
from nats.js.kv import KeyValue

from accord import kvrecords
from accord.kv import page_after

BUCKET = "notifications"


@dataclass(frozen=True)
class Page:
    notifications: list[pb.Notification]
    resume_after: int | None  # where the next page starts; None: the end


def key_safe(text: str) -> str:
    # Event ids may hold characters keys may not ('.', ':'); keys allow [-/_=.a-zA-Z0-9] and
    # use '.' as the token separator, so anything else becomes '_'.
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in text)


@dataclass(frozen=True, slots=True)
class NotificationStore:
    kv: KeyValue

    async def add(self, notification: pb.Notification) -> bool:
        """Store it once; False when this notification was already stored.

        The key is made of the event's time and id, so keys sort oldest first. A repeat of
        the event may carry another time (a publisher's retry stamps its own), so the id is
        claimed first, under `id.<notification_id>`, naming the key it was stored under: a
        repeat finds the claim and (re)writes that same key, which also completes a first
        attempt that stopped between the two writes.
        """
        stamp = notification.create_time.ToNanoseconds()
        safe_id = key_safe(notification.notification_id)
        key = f"customer.{notification.customer_id}.{stamp:020d}-{safe_id}"
        claimed = await self._create(f"id.{safe_id}", key.encode())
        if not claimed:
            key = (await self._get(f"id.{safe_id}") or key.encode()).decode()
        stored = await self._create(key, notification.SerializeToString())
        return claimed and stored

    async def list(self, customer_id: str, page_size: int, after: int) -> Page:
        """A page of the customer's notifications in the order they were stored, read
        straight from the bucket's stream (each is written once)."""
        page = await page_after(self.kv, f"customer.{customer_id}.*", after, page_size)
        notifications = [pb.Notification.FromString(entry.value) for entry in page.entries]
        return Page(notifications, page.resume_after)

    async def get(self, notification_id: str) -> pb.Notification | None:
        """The notification stored under this id, or None."""
        key = await self._get(f"id.{key_safe(notification_id)}")
        value = await self._get(key.decode()) if key is not None else None
        return pb.Notification.FromString(value) if value is not None else None

    async def routed_channels(self, notification_id: str) -> Sequence[pb.Channel.ValueType] | None:
        """The channels a routed notification was handed to; None if it is not routed yet."""
        value = await self._get(f"routed.{key_safe(notification_id)}")
        if value is None:
            return None
        # Markers written before channels were recorded hold b"1" and name none.
        names = value.decode().split(",") if value not in (b"", b"1") else []
        return [
            pb.Channel.Value(name) for name in names if name in pb.Channel.DESCRIPTOR.values_by_name
        ]

    async def mark_routed(
        self, notification_id: str, channels: Sequence[pb.Channel.ValueType]
    ) -> None:
        names = ",".join(pb.Channel.Name(channel) for channel in channels)
        await self._create(f"routed.{key_safe(notification_id)}", names.encode())

    async def remember_order(self, order_id: str, customer_id: str) -> None:
        await self._create(f"order.{key_safe(order_id)}", customer_id.encode())

    async def customer_of_order(self, order_id: str) -> str | None:
        value = await self._get(f"order.{key_safe(order_id)}")
        return value.decode() if value is not None else None

    async def _create(self, key: str, value: bytes) -> bool:
        return await kvrecords.create(self.kv, key, value) is not None

    async def _get(self, key: str) -> bytes | None:
        found = await kvrecords.read(self.kv, key)
        return found.value if found is not None else None
