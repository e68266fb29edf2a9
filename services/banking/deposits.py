"""Deposits: staff credit an account with money from outside the bank.

Each deposit is a posting from the currency's external funding account to the customer's
account, so the ledger stays balanced. `deposit.<requestId>` in the `banking_transfers`
bucket claims the request id with a fingerprint of its content, the posting id and its
posting time: a retry posts the same entries and legs again, which changes nothing.
"""

import time
from dataclasses import dataclass

from acme.banking.v1 import banking_pb2 as pb
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import BaseModel

from services.banking.ids import new_id
from services.banking.ledger import Ledger
from services.banking.records import AccountRecord
from services.banking.transfers import RequestConflict, fingerprint


class _Claim(BaseModel):
    fingerprint: str
    posting_id: str
    posted_ns: int


@dataclass(frozen=True, slots=True)
class Deposits:
    kv: KeyValue
    ledger: Ledger

    async def deposit(
        self, request: pb.DepositRequest, account: AccountRecord, amount: int
    ) -> tuple[AccountRecord, str]:
        """Credit `account` once per request id; the account after it and the posting id."""
        claim_key = f"deposit.{request.request_id}"
        claim = _Claim(
            fingerprint=fingerprint(request), posting_id=new_id("dep"), posted_ns=time.time_ns()
        )
        try:
            await self.kv.create(claim_key, claim.model_dump_json().encode())
        except KeyWrongLastSequenceError:
            first = _Claim.model_validate_json((await self.kv.get(claim_key)).value or b"{}")
            if first.fingerprint != claim.fingerprint:
                raise RequestConflict(request.request_id) from None
            claim = first  # a retry: post the first attempt's posting again (a no-op if done)
        funding = await self.ledger.funding_account(account.currency)
        await self.ledger.post(
            claim.posting_id, funding, account.account_id, amount, claim.posted_ns
        )
        return await self.ledger.get(account.account_id), claim.posting_id
