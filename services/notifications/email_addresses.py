"""Email addresses customers give, and the proof that they read them.

Anyone can type any address, so an address is not used on a customer's say-so: otherwise a
customer could point order and marketing emails at someone else. A new address gets one
email, with a six-digit code (the only thing ever sent to an address before it is proven),
valid for CODE_LIFETIME and for MAX_CODE_ATTEMPTS tries; VerifyEmail with that code makes
it the address email notifications go to. At most MAX_CODES_PER_DAY codes go out per
customer in 24 hours, so SetPreferences cannot be used to flood a stranger's mailbox.

Keys in the `notifications_settings` bucket: `contact.<customerId>` (a ContactRecord, JSON),
changed only by compare-and-set, so a verification racing a change of address can never
verify the other address. An address given before verification existed is in
`preferences.<customerId>` and is never used: its customer sets it again and proves it.

A six-digit code has a million values, five tries take one chance in 200,000; the codes are
kept in clear because hashing a number that small would hide nothing from whoever reads the
bucket, and the bucket is the service's own.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages.json import EmailVerificationPayload
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from nats.js.kv import KeyValue
from pydantic import BaseModel, Field

from accord import kvjson
from accord.rpc_status import RpcError, error_info, field_violation, invalid_argument

CODE_LIFETIME = timedelta(hours=1)
MAX_CODE_ATTEMPTS = 5
MAX_CODES_PER_DAY = 5
_DAY = timedelta(hours=24)


class PendingCode(BaseModel):
    email: str
    code: str
    expires_at: datetime
    attempts: int = 0


class ContactRecord(BaseModel):
    """`contact.<customerId>`: the address given, whether it is proven, and its code."""

    email: str = ""
    verified: bool = False
    pending: PendingCode | None = None
    sent: list[datetime] = Field(default_factory=list)  # codes sent in the last 24 hours


@dataclass(frozen=True)
class _Outcome:
    """What a change of the record decided, for the call to answer after it is stored."""

    error: RpcError | None = None
    code: PendingCode | None = None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class EmailAddresses:
    kv: KeyValue
    events: Application

    async def verified_email(self, customer_id: str) -> str | None:
        """The address email notifications may go to: given, and proven."""
        found = await kvjson.read(self.kv, _key(customer_id), ContactRecord)
        if found is None or not found[0].verified or not found[0].email:
            return None
        return found[0].email

    async def set(self, customer_id: str, email: str) -> pb.Preferences:
        """Take the address the customer gives; a new one gets a verification code."""
        outcome = _Outcome()

        def give(record: ContactRecord | None) -> ContactRecord | None:
            nonlocal outcome
            current = record or ContactRecord()
            if email == current.email and (current.verified or not email):
                outcome = _Outcome()
                return record  # nothing changes
            if not email:
                outcome = _Outcome()
                return ContactRecord(sent=current.sent)
            now = _now()
            recent = [moment for moment in current.sent if now - moment < _DAY]
            if len(recent) >= MAX_CODES_PER_DAY:
                outcome = _Outcome(error=_too_many_codes(min(recent) + _DAY - now))
                return record
            code = PendingCode(
                email=email, code=f"{secrets.randbelow(10**6):06d}", expires_at=now + CODE_LIFETIME
            )
            outcome = _Outcome(code=code)
            return ContactRecord(email=email, pending=code, sent=[*recent, now])

        stored = await kvjson.change(self.kv, _key(customer_id), ContactRecord, give)
        if outcome.error is not None:
            raise outcome.error
        if outcome.code is not None:
            await self._send_code(customer_id, outcome.code)
        return preferences_of(customer_id, stored)

    async def verify(self, customer_id: str, code: str) -> pb.Preferences:
        """Prove the address waiting for its code; the errors the contract names otherwise."""
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise invalid_argument([field_violation("code", "must be the 6 digits emailed")])
        outcome = _Outcome()

        def prove(record: ContactRecord | None) -> ContactRecord | None:
            nonlocal outcome
            pending = record.pending if record is not None else None
            if record is None or pending is None:
                outcome = _Outcome(
                    error=_precondition(
                        "EMAIL_NOT_PENDING",
                        "no address waits for verification: give one with SetPreferences",
                    )
                )
                return record
            if _now() >= pending.expires_at:
                outcome = _Outcome(
                    error=_precondition(
                        "EMAIL_CODE_EXPIRED",
                        "the code has expired: ask for a new one with SetPreferences",
                    )
                )
                return record
            if pending.attempts >= MAX_CODE_ATTEMPTS:
                outcome = _Outcome(
                    error=_precondition(
                        "EMAIL_CODE_EXHAUSTED",
                        "too many wrong codes: ask for a new one with SetPreferences",
                    )
                )
                return record
            if not hmac.compare_digest(code, pending.code):
                left = MAX_CODE_ATTEMPTS - pending.attempts - 1
                outcome = _Outcome(error=_wrong_code(left))
                tried = pending.model_copy(update={"attempts": pending.attempts + 1})
                return record.model_copy(update={"pending": tried})
            outcome = _Outcome()
            return record.model_copy(update={"verified": True, "pending": None})

        stored = await kvjson.change(self.kv, _key(customer_id), ContactRecord, prove)
        if outcome.error is not None:
            raise outcome.error
        return preferences_of(customer_id, stored)

    async def _send_code(self, customer_id: str, pending: PendingCode) -> None:
        verification_id = f"verification.{customer_id}.{secrets.token_hex(8)}"
        message = EmailVerificationPayload(
            verification_id=verification_id,
            customer_id=customer_id,
            to=pending.email,
            subject=f"Your Acme verification code: {pending.code}",
            body=f"Your code is {pending.code}. Give it to Acme within an hour to get your "
            "notifications at this address.\n\n-- Acme. You get this email because someone "
            "asked us to write to this address; if it was not you, ignore it and we will "
            "not write again.",
            code=pending.code,
            expire_time=pending.expires_at,
        )
        await self.events.producer.send_email_verification(message, event_id=verification_id)


def preferences_of(customer_id: str, record: ContactRecord | None) -> pb.Preferences:
    if record is None:
        return pb.Preferences(customer_id=customer_id)
    return pb.Preferences(
        customer_id=customer_id, email=record.email, email_verified=record.verified
    )


def _key(customer_id: str) -> str:
    return f"contact.{customer_id}"


def _precondition(reason: str, text: str) -> RpcError:
    return RpcError(grpc.StatusCode.FAILED_PRECONDITION, text, error_info(reason))


def _wrong_code(attempts_left: int) -> RpcError:
    return RpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"invalid request: code does not match; {attempts_left} attempts left",
        error_details_pb2.BadRequest(
            field_violations=[field_violation("code", "does not match the code emailed")]
        ),
        error_info("EMAIL_CODE_WRONG", attempts_left=str(attempts_left)),
    )


def _too_many_codes(wait: timedelta) -> RpcError:
    delay = duration_pb2.Duration()
    delay.FromTimedelta(wait)
    return RpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"at most {MAX_CODES_PER_DAY} verification codes are sent per day",
        error_details_pb2.RetryInfo(retry_delay=delay),
        error_info("EMAIL_CODES_EXHAUSTED", limit=str(MAX_CODES_PER_DAY)),
    )
