"""What customers chose, in the `notifications_settings` bucket: where email goes, and their
webhooks.

Keys: `preferences.<customer_id>` (a Preferences message) and
`webhook.<customer_id>.<webhook_id>` (a StoredWebhook: the Webhook and its secret). The
secret is kept in clear because signing needs it; only RegisterWebhook ever returns it.
"""

import json
from dataclasses import dataclass

from acme.notifications.v1 import notifications_pb2 as pb
from google.protobuf import timestamp_pb2
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from accord.kv import keys_matching

BUCKET = "notifications_settings"


@dataclass(frozen=True)
class StoredWebhook:
    webhook: pb.Webhook
    secret: str

    def encode(self) -> bytes:
        # JSON beside the Webhook message's own fields: the public message has no secret.
        record = {
            "webhookId": self.webhook.webhook_id,
            "customerId": self.webhook.customer_id,
            "url": self.webhook.url,
            "createTime": self.webhook.create_time.ToJsonString(),
            "secret": self.secret,
        }
        return json.dumps(record).encode()

    @classmethod
    def decode(cls, data: bytes) -> "StoredWebhook":
        record = json.loads(data)
        created = timestamp_pb2.Timestamp()
        created.FromJsonString(record["createTime"])
        webhook = pb.Webhook(
            webhook_id=record["webhookId"],
            customer_id=record["customerId"],
            url=record["url"],
            create_time=created,
        )
        return cls(webhook, record["secret"])


class CustomerSettings:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> "CustomerSettings":
        return cls(await js.key_value(BUCKET))

    async def preferences(self, customer_id: str) -> pb.Preferences:
        try:
            entry = await self._kv.get(f"preferences.{customer_id}")
        except KeyNotFoundError:
            return pb.Preferences(customer_id=customer_id)
        return pb.Preferences.FromString(entry.value or b"")

    async def set_preferences(self, preferences: pb.Preferences) -> None:
        # Last writer wins: the request replaces the whole record, so no merge can go wrong.
        await self._kv.put(
            f"preferences.{preferences.customer_id}", preferences.SerializeToString()
        )

    async def put_webhook(self, stored: StoredWebhook) -> None:
        hook = stored.webhook
        await self._kv.put(f"webhook.{hook.customer_id}.{hook.webhook_id}", stored.encode())

    async def webhook(self, customer_id: str, webhook_id: str) -> StoredWebhook | None:
        try:
            entry = await self._kv.get(f"webhook.{customer_id}.{webhook_id}")
        except KeyNotFoundError:
            return None
        return StoredWebhook.decode(entry.value or b"")

    async def delete_webhook(self, customer_id: str, webhook_id: str) -> bool:
        """Forget the webhook and its secret; False when there was none. Purged, not just
        marked deleted: the secret must not stay in the bucket's history."""
        key = f"webhook.{customer_id}.{webhook_id}"
        if await self.webhook(customer_id, webhook_id) is None:
            return False
        await self._kv.purge(key)
        return True

    async def webhooks(self, customer_id: str) -> list[StoredWebhook]:
        found = []
        for key in sorted(await keys_matching(self._kv, f"webhook.{customer_id}.*")):
            webhook_id = key.rsplit(".", 1)[1]
            stored = await self.webhook(customer_id, webhook_id)
            if stored is not None:
                found.append(stored)
        return found
