"""Transfers: idempotent on the request id, screened for fraud, then posted or not.

Keys in the `banking_transfers` bucket:
- `transfer.<transferId>`: the TransferRecord (JSON); every change is a compare-and-set.
- `request.<customerId>.<requestId>`: which transfer a request created, and a fingerprint
  of its content, so that a retry returns the same transfer.
- `outgoing.<accountId>.<transferId>`: each transfer requested from an account, what fraud
  screening looks back at.

A transfer moves forward in steps, each one safe to repeat, so any call that touches it
(the first, a retry with the same request id, a review) can finish what an interrupted
call left:
1. screen: decide the outcome and store the decision;
2. reserve the funds on the source account (`Ledger.hold`) unless the decision rejects;
   short funds turn the decision into REJECTED / INSUFFICIENT_FUNDS;
3. commit the status (compare-and-set): this is the point of no return;
4. settle: post the entries (completed), give back the reserve (rejected), record the
   outcome for screening, and publish transfer-status-changed with the id
   `<transferId>.<status>`.
A transfer that would overdraw its account therefore ends REJECTED (never an error), with
an event like every other outcome, and nothing posted.
"""

import hashlib
import time
from dataclasses import dataclass

from acme.banking.v1 import banking_pb2 as pb
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import BaseModel

from accord import kvjson
from accord.kv import keys_matching
from services.banking import screening
from services.banking.events import TransferEvents
from services.banking.ids import new_id
from services.banking.ledger import InsufficientFunds, Ledger
from services.banking.records import (
    Decision,
    OutgoingRecord,
    Rule,
    Status,
    TransferRecord,
    now,
)

TRANSFERS_BUCKET = "banking_transfers"
INSUFFICIENT_FUNDS = Decision(
    status=Status.REJECTED,
    rule=Rule.INSUFFICIENT_FUNDS,
    reason="The account's available balance does not cover this transfer.",
)


class RequestClaim(BaseModel):
    """`request.<customerId>.<requestId>`: the transfer a request created, and its content."""

    fingerprint: str
    transfer_id: str


class TransferNotFound(Exception):
    pass


class RequestConflict(Exception):
    """A request id was reused with different content."""


class NotHeld(Exception):
    """A review of a transfer that is not (or no longer) held for review."""


def fingerprint(request: pb.TransferRequest | pb.DepositRequest) -> str:
    # Deterministic serialization: the same request always hashes the same.
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


@dataclass(frozen=True, slots=True)
class Transfers:
    kv: KeyValue
    ledger: Ledger
    events: TransferEvents

    async def request(
        self, customer_id: str, request: pb.TransferRequest, currency: str, amount: int
    ) -> TransferRecord:
        """Create the transfer and drive it to its outcome, or return the one this request
        created before (finishing it if an earlier call was interrupted)."""
        moment = now()
        record = TransferRecord(
            transfer_id=new_id("tr"),
            request_id=request.request_id,
            customer_id=customer_id,
            from_account_id=request.from_account_id,
            to_account_id=request.to_account_id,
            currency=currency,
            amount=amount,
            created_at=moment,
            updated_at=moment,
        )
        await self.kv.create(f"transfer.{record.transfer_id}", record.model_dump_json().encode())
        claim_key = f"request.{customer_id}.{request.request_id}"
        claim = RequestClaim(fingerprint=fingerprint(request), transfer_id=record.transfer_id)
        try:
            await self.kv.create(claim_key, claim.model_dump_json().encode())
        except KeyWrongLastSequenceError:
            # A retry, or a race with one: the first request to claim the key wins. Its
            # transfer was written before its claim, so it can be read now.
            await self.kv.purge(f"transfer.{record.transfer_id}")
            first = RequestClaim.model_validate_json((await self.kv.get(claim_key)).value or b"{}")
            if first.fingerprint != claim.fingerprint:
                raise RequestConflict(request.request_id) from None
            return await self._drive(first.transfer_id)
        return await self._drive(record.transfer_id)

    async def get(self, transfer_id: str) -> TransferRecord:
        return (await self._read(transfer_id))[0]

    async def review(self, transfer_id: str, approve: bool) -> TransferRecord:
        """Complete (approve) or reject a held transfer; repeating the same decision is safe."""
        wanted = Status.COMPLETED if approve else Status.REJECTED
        while True:
            record, revision = await self._read(transfer_id)
            if record.status is not Status.HELD_FOR_REVIEW:
                if record.previous_status is Status.HELD_FOR_REVIEW and record.status is wanted:
                    await self._settle(record)  # a retry: finish what it may have left
                    return record
                raise NotHeld(transfer_id)
            record.previous_status = Status.HELD_FOR_REVIEW
            record.decision = Decision(
                status=wanted,
                rule=Rule.REVIEW_APPROVED if approve else Rule.REVIEW_REJECTED,
                reason="Approved after review: transfer completed."
                if approve
                else "Refused after review: nothing was transferred.",
            )
            if await self._commit(record, wanted, revision):
                await self._settle(record)
                return record

    async def _read(self, transfer_id: str) -> tuple[TransferRecord, int]:
        found = await kvjson.read(self.kv, f"transfer.{transfer_id}", TransferRecord)
        if found is None:
            raise TransferNotFound(transfer_id)
        return found

    async def _save(self, record: TransferRecord, revision: int) -> bool:
        """Compare-and-set; False when another call changed the transfer first (re-read)."""
        record.updated_at = now()
        return await kvjson.replace(self.kv, f"transfer.{record.transfer_id}", record, revision)

    async def _commit(self, record: TransferRecord, status: Status, revision: int) -> bool:
        record.status = status
        if status is Status.COMPLETED:
            record.posted_ns = time.time_ns()  # the entries' posting time, fixed from now on
        return await self._save(record, revision)

    async def _drive(self, transfer_id: str) -> TransferRecord:
        """Take a transfer through the steps it still needs (module docstring)."""
        while True:
            record, revision = await self._read(transfer_id)
            if record.status is not Status.PENDING:
                break
            if record.decision is None:
                record.decision = await self._screen(record)
                await self._save(record, revision)
                continue  # re-read: whichever decision was stored first counts
            decision = record.decision
            if decision.status is not Status.REJECTED:
                try:
                    await self.ledger.hold(record.from_account_id, transfer_id, record.amount)
                except InsufficientFunds:
                    record.decision = INSUFFICIENT_FUNDS
                    await self._save(record, revision)
                    continue
            if await self._commit(record, decision.status, revision):
                break
        await self._settle(record)
        return record

    async def _screen(self, record: TransferRecord) -> Decision:
        prefix = f"outgoing.{record.from_account_id}."
        mine = OutgoingRecord(
            to_account_id=record.to_account_id,
            amount=record.amount,
            created_ns=record.created_ns,
            status=Status.PENDING,
        )
        # Recorded first, so that concurrent transfers from the account count this one.
        await self.kv.put(f"{prefix}{record.transfer_id}", mine.model_dump_json().encode())
        earlier = []
        for key in await keys_matching(self.kv, f"{prefix}*"):
            if key != f"{prefix}{record.transfer_id}":
                stored = await self.kv.get(key)
                earlier.append(OutgoingRecord.model_validate_json(stored.value or b"{}"))
        request = screening.Request(record.to_account_id, record.amount, mine.created_ns)
        return screening.screen(request, earlier)

    async def _settle(self, record: TransferRecord) -> None:
        """The effects of a committed status, each safe to repeat, then its event."""
        if record.status is Status.COMPLETED:
            assert record.posted_ns is not None  # set by every commit to COMPLETED
            source = await self.ledger.get(record.from_account_id)
            await self.ledger.post(
                record.transfer_id, source, record.to_account_id, record.amount, record.posted_ns
            )
        elif record.status is Status.REJECTED:
            await self.ledger.release(record.from_account_id, record.transfer_id, record.amount)
        outgoing = OutgoingRecord(
            to_account_id=record.to_account_id,
            amount=record.amount,
            created_ns=record.created_ns,
            status=record.status,
        )
        key = f"outgoing.{record.from_account_id}.{record.transfer_id}"
        await self.kv.put(key, outgoing.model_dump_json().encode())
        await self.events.status_changed(record)
