"""Proving an email address the way a customer does: the code from the verification email."""

import asyncio
import json
from typing import Any

import nats
from acme.notifications.v1 import notifications_pb2 as pb

from tests.support.bus import stored

VERIFICATION_SUBJECT = "acme.notifications.v1.email.verification"


async def verification_emails(nats_url: str, customer: str) -> list[dict[str, Any]]:
    """Every verification email stored for `customer` so far, oldest first."""
    async with await nats.connect(nats_url) as nc:
        emails = [json.loads(msg.data) for msg in await stored(nc, VERIFICATION_SUBJECT, 1)]
    return [email for email in emails if email["customerId"] == customer]


async def verification_code(nats_url: str, customer: str, address: str, after: int = 0) -> str:
    """The code of the newest verification email to `address`, once more than `after` such
    emails were sent to the customer."""
    for _ in range(100):
        emails = [e for e in await verification_emails(nats_url, customer) if e["to"] == address]
        if len(emails) > after:
            code: str = emails[-1]["code"]
            return code
        await asyncio.sleep(0.05)
    raise AssertionError(f"no verification email went to {address}")


async def prove_email(stub: Any, nats_url: str, customer: str, address: str) -> pb.Preferences:
    """Give `address` and prove it with the emailed code, as its owner would."""
    await stub.SetPreferences(
        pb.SetPreferencesRequest(customer_id=customer, email=address), timeout=10
    )
    code = await verification_code(nats_url, customer, address)
    reply = await stub.VerifyEmail(
        pb.VerifyEmailRequest(customer_id=customer, code=code), timeout=10
    )
    preferences: pb.Preferences = reply.preferences
    return preferences
