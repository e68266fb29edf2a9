"""Webhook signatures, ids and secrets: what a receiver needs to trust a delivery.

Each POST carries `Accord-Webhook-Id` (the delivery id, the same on every attempt),
`Accord-Webhook-Timestamp` (Unix seconds when this attempt was signed) and
`Accord-Webhook-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`.
Signing the timestamp with the body lets a receiver refuse an old request replayed later
(see WEBHOOKS.md).
"""

import hashlib
import hmac
import secrets

ID_HEADER = "Accord-Webhook-Id"
TIMESTAMP_HEADER = "Accord-Webhook-Timestamp"
SIGNATURE_HEADER = "Accord-Webhook-Signature"
SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Accord-Webhook-Signature` value of `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def new_secret() -> str:
    """256 random bits; the prefix tells people what the string is when they find one."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_id(customer_id: str, url: str) -> str:
    """The same customer and URL always give the same id: registering again replaces the
    secret of that webhook rather than adding a second endpoint that gets every POST twice."""
    digest = hashlib.sha256(f"{customer_id}\n{url}".encode()).hexdigest()
    return f"wh-{digest[:24]}"


def delivery_id(notification_id: str, webhook_id: str) -> str:
    """One delivery per notification and webhook; stable across retries."""
    return f"{notification_id}.{webhook_id}"
