"""What customers chose, in the `notifications_settings` bucket: their webhooks. (Where email
goes is in the same bucket: email_addresses.py.)

Keys: `webhook.<customer_id>.<webhook_id>` (a StoredWebhook: the Webhook and its secret) and
`webhooks.<customer_id>` (the ids of the customer's webhooks, which the limit counts). The
secret is kept in clear because signing needs it; only RegisterWebhook ever returns it.

The limit is exact under concurrent registrations: a webhook takes its place in
`webhooks.<customer_id>` by compare-and-set before it is stored, and gives it back after
it is purged. A registration interrupted between the two keeps its place; registering the
same URL again (the same webhook id) completes it.
"""

import json
from dataclasses import dataclass

from acme.notifications.v1 import notifications_pb2 as pb
from google.protobuf import timestamp_pb2
from nats.js.kv import KeyValue
from pydantic import BaseModel

from accord import kvjson, kvrecords
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


class WebhookIndex(BaseModel):
    """`webhooks.<customer_id>`: the ids of the customer's webhooks."""

    ids: list[str] = []


@dataclass(frozen=True, slots=True)
class CustomerSettings:
    kv: KeyValue

    async def put_webhook(self, stored: StoredWebhook) -> None:
        hook = stored.webhook
        await self.kv.put(f"webhook.{hook.customer_id}.{hook.webhook_id}", stored.encode())

    async def webhook(self, customer_id: str, webhook_id: str) -> StoredWebhook | None:
        found = await kvrecords.read(self.kv, f"webhook.{customer_id}.{webhook_id}")
        return StoredWebhook.decode(found.value) if found is not None else None

    async def claim_webhook_place(self, customer_id: str, webhook_id: str, limit: int) -> bool:
        """Count the webhook among the customer's (it may be already); False when the
        customer has `limit` others."""
        key = f"webhooks.{customer_id}"
        legacy: list[str] = []
        if await kvjson.read(self.kv, key, WebhookIndex) is None:
            # Webhooks registered before the index existed count too.
            legacy = sorted(
                k.rsplit(".", 1)[1]
                for k in await keys_matching(self.kv, f"webhook.{customer_id}.*")
            )
        granted = False

        def add(index: WebhookIndex | None) -> WebhookIndex | None:
            nonlocal granted
            ids = index.ids if index is not None else legacy
            granted = webhook_id in ids or len(ids) < limit
            if not granted or (index is not None and webhook_id in ids):
                return index
            return WebhookIndex(ids=sorted({*ids, webhook_id}))

        await kvjson.change(self.kv, key, WebhookIndex, add)
        return granted

    async def delete_webhook(self, customer_id: str, webhook_id: str) -> bool:
        """Forget the webhook and its secret; False when there was none. Purged, not just
        marked deleted: the secret must not stay in the bucket's history."""
        key = f"webhook.{customer_id}.{webhook_id}"
        existed = await self.webhook(customer_id, webhook_id) is not None
        if existed:
            await self.kv.purge(key)

        def remove(index: WebhookIndex | None) -> WebhookIndex | None:
            if index is None or webhook_id not in index.ids:
                return index
            return WebhookIndex(ids=[i for i in index.ids if i != webhook_id])

        # Also the place of a registration that was interrupted before its webhook was stored.
        before = await kvjson.read(self.kv, f"webhooks.{customer_id}", WebhookIndex)
        await kvjson.change(self.kv, f"webhooks.{customer_id}", WebhookIndex, remove)
        return existed or (before is not None and webhook_id in before[0].ids)

    async def webhooks(self, customer_id: str) -> list[StoredWebhook]:
        found = []
        for key in sorted(await keys_matching(self.kv, f"webhook.{customer_id}.*")):
            webhook_id = key.rsplit(".", 1)[1]
            stored = await self.webhook(customer_id, webhook_id)
            if stored is not None:
                found.append(stored)
        return found
