"""Accounts and the double-entry ledger, in two key-value buckets; every leg applied once, forever.

Keys:
- `banking_accounts`: `account.<accountId>` (AccountRecord JSON) and the per-customer index
  `customer.<customerId>.<accountId>` (empty).
- `banking_entries`: `entry.<accountId>.<postedNs:020d>-<postingId>` (EntryRecord JSON),
  zero-padded nanoseconds first, so an account's keys sort in posting order; and
  `reserve.<accountId>.<postingId>.<hold|release>` (empty), the record of a reservation.

A posting moves `amount` from one account to another: one debit entry (negative) and one
credit entry (positive), so the entries of every currency sum to zero. It is made of legs,
each a change to one account: `hold` reserves the amount on the source (a customer account
never goes negative: money leaves it only from funds reserved first, and `hold` refuses
when the available balance, balance - held, is short), then `debit` takes it from the
source and `credit` gives it to the destination; or `release` gives a reserve back when
the transfer does not happen. Money enters the bank from an external funding account per
currency (`funding-<CUR>`), the counterparty of every deposit and the only account whose
balance goes negative.

Exactly once, forever. Each leg is a step of `accord.exactly_once`: the account's balance
and its `pending` map change together in one compare-and-set, then the leg's durable record
is created, then the leg leaves `pending`. The record of a debit or a credit *is* its
ledger entry; a hold or a release has a `reserve.` key. Whoever asks for a leg again (a
client retrying a transfer or a deposit with the same request id, a review, a replay
months later) finds it pending or recorded, and changes nothing; a leg interrupted between
its writes is finished by the next call that asks for it. Records are never deleted, so
nothing a later posting does can make an old leg apply twice.

So, at every moment, even between two writes of an interrupted call, an account's balance
is the sum of its entries, counting the ones still pending in the account record (ListEntries
shows both). Between the two legs of a posting the debit may stand without its credit: the
transfer or deposit is then committed, and its retry finishes it.

Accounts written before the durable records kept their last 256 legs in `applied`; a leg
named there counts as applied.
"""

import contextlib
from collections.abc import Awaitable, Callable

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson
from accord.exactly_once import ExactlyOnce, RecordNotFound, Step
from accord.kv import page_after
from services.banking.ids import new_id
from services.banking.records import AccountRecord, EntryRecord, now

ACCOUNTS_BUCKET = "banking_accounts"
ENTRIES_BUCKET = "banking_entries"
FUNDING_OWNER = "acme-bank"  # the customer id of the funding accounts: the bank itself


class AccountNotFound(Exception):
    pass


class InsufficientFunds(Exception):
    pass


def funding_account_id(currency: str) -> str:
    return f"funding-{currency}"


class Ledger:
    def __init__(self, accounts: KeyValue, entries: KeyValue) -> None:
        self._accounts = accounts
        self._entries = entries
        self._legs = ExactlyOnce(accounts, entries, AccountRecord)

    async def open(self, customer_id: str, currency: str) -> AccountRecord:
        account = AccountRecord(
            account_id=new_id("acc"), customer_id=customer_id, currency=currency, created_at=now()
        )
        await self._accounts.create(
            f"account.{account.account_id}", account.model_dump_json().encode()
        )
        await self._accounts.create(f"customer.{customer_id}.{account.account_id}", b"")
        return account

    async def get(self, account_id: str) -> AccountRecord:
        return (await self._read(account_id))[0]

    async def _read(self, account_id: str) -> tuple[AccountRecord, int]:
        found = await kvjson.read(self._accounts, f"account.{account_id}", AccountRecord)
        if found is None:
            raise AccountNotFound(account_id)
        return found

    async def funding_account(self, currency: str) -> AccountRecord:
        """The external account deposits in `currency` come from, created on first use."""
        account_id = funding_account_id(currency)
        try:
            return await self.get(account_id)
        except AccountNotFound:
            pass
        account = AccountRecord(
            account_id=account_id,
            customer_id=FUNDING_OWNER,
            currency=currency,
            created_at=now(),
            external=True,
        )
        # A concurrent first deposit in this currency may have created it: either one wins.
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self._accounts.create(f"account.{account_id}", account.model_dump_json().encode())
        return await self.get(account_id)

    async def _leg(
        self,
        account_id: str,
        step: Step,
        change: Callable[[AccountRecord], None],
        guard: Callable[[AccountRecord], Awaitable[bool]] | None = None,
    ) -> AccountRecord:
        """Apply one leg to an account once, ever (module docstring)."""

        async def new_and_allowed(account: AccountRecord) -> bool:
            if step.step_id in account.applied:
                return False  # applied before the durable records existed
            return guard is None or await guard(account)

        try:
            account, _ = await self._legs.apply(
                f"account.{account_id}", step, change, new_and_allowed
            )
        except RecordNotFound as missing:
            raise AccountNotFound(account_id) from missing
        return account

    def _reserve_step(self, account_id: str, posting_id: str, kind: str) -> Step:
        return Step(f"{posting_id}.{kind}", f"reserve.{account_id}.{posting_id}.{kind}")

    async def hold(self, account_id: str, posting_id: str, amount: int) -> AccountRecord:
        """Reserve `amount` for a posting; InsufficientFunds when the available balance is short."""

        def reserve(account: AccountRecord) -> None:
            if account.available < amount:
                raise InsufficientFunds(account_id)
            account.held += amount

        return await self._leg(
            account_id, self._reserve_step(account_id, posting_id, "hold"), reserve
        )

    async def release(self, account_id: str, posting_id: str, amount: int) -> None:
        """Give back what `hold` reserved for a posting that will not happen (no-op otherwise).

        Nothing is written while no hold is applied (screening rejected it before): a hold
        applied later, by a call that raced this one, is released by that call's settling."""
        hold = self._reserve_step(account_id, posting_id, "hold")

        async def was_held(account: AccountRecord) -> bool:
            return hold.step_id in account.applied or await self._legs.applied(account, hold)

        def unreserve(account: AccountRecord) -> None:
            account.held -= amount

        await self._leg(
            account_id, self._reserve_step(account_id, posting_id, "release"), unreserve, was_held
        )

    async def post(
        self,
        posting_id: str,
        from_account: AccountRecord,
        to_account_id: str,
        amount: int,
        posted_ns: int,
    ) -> None:
        """Post a debit on `from_account` and a credit on `to_account_id` of the same amount.

        A customer's source account must hold the amount already (`hold`); the debit takes
        it from the reserve, so the balance cannot go below zero. An external account is
        debited directly.
        """
        debit = EntryRecord(
            entry_id=f"{posted_ns:020d}-{posting_id}",
            account_id=from_account.account_id,
            posting_id=posting_id,
            currency=from_account.currency,
            amount=-amount,
            counterparty_account_id=to_account_id,
            posted_ns=posted_ns,
        )
        credit = debit.model_copy(
            update={
                "account_id": to_account_id,
                "amount": amount,
                "counterparty_account_id": from_account.account_id,
            }
        )

        def take(account: AccountRecord) -> None:
            account.balance -= amount
            if not account.external:
                account.held -= amount

        def give(account: AccountRecord) -> None:
            account.balance += amount

        await self._leg(from_account.account_id, _entry_step(debit, "debit"), take)
        await self._leg(to_account_id, _entry_step(credit, "credit"), give)

    async def entries(
        self, account_id: str, page_size: int, after: int
    ) -> tuple[list[EntryRecord], int | None]:
        """One page of an account's entries in the order they were written (posting order),
        and where the next page starts (None: the end).

        Legs applied whose entry is not written yet (a posting in flight, or interrupted)
        close the last page: their entries are the next written. The account is read first:
        a leg pending then is listed from it, and one finished since is in the bucket."""
        prefix = f"entry.{account_id}."
        pending = [
            EntryRecord.model_validate_json(step.value)
            for step in (await self.get(account_id)).pending.values()
            if step.marker.startswith(prefix)
        ]
        page = await page_after(self._entries, f"{prefix}*", after, page_size)
        entries = [EntryRecord.model_validate_json(entry.value) for entry in page.entries]
        if page.resume_after is None:
            listed = {entry.entry_id for entry in entries}
            entries += [entry for entry in pending if entry.entry_id not in listed]
        return entries, page.resume_after


def _entry_step(entry: EntryRecord, leg: str) -> Step:
    """A debit or credit leg, whose durable record is its ledger entry."""
    return Step(
        f"{entry.posting_id}.{leg}",
        f"entry.{entry.account_id}.{entry.entry_id}",
        entry.model_dump_json(),
    )
