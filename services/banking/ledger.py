"""Accounts and the double-entry ledger, in two key-value buckets.

Keys:
- `banking_accounts`: `account.<accountId>` (AccountRecord JSON) and the per-customer index
  `customer.<customerId>.<accountId>` (empty).
- `banking_entries`: `entry.<accountId>.<postedNs:020d>-<postingId>` (EntryRecord JSON):
  zero-padded nanoseconds first, so an account's keys sort in posting order.

A posting moves `amount` from one account to another: one debit entry (negative) and one
credit entry (positive), so the entries of every currency always sum to zero. Balances
change only by compare-and-set on the account's revision, one *leg* at a time, and each
account remembers the legs it applied: a retried posting applies nothing twice. Entries
are written before the legs, under keys derived from the posting, so a retry that finds
them writes the same bytes again. Between the two writes of an interrupted call the ledger
may run ahead of the balances; the retry of that call (same request id) completes it.

A customer account never goes negative: money leaves it only from funds reserved first by
`hold`, which refuses when the available balance (balance - held) is short. Money enters
the bank from an external funding account per currency (`funding-<CUR>`), the counterparty
of every deposit; it is the only account whose balance goes negative.
"""

import contextlib
from collections.abc import Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord.kv import page_after
from services.banking.ids import new_id
from services.banking.records import APPLIED_MEMORY, AccountRecord, EntryRecord, now

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
        try:
            entry = await self._accounts.get(f"account.{account_id}")
        except KeyNotFoundError as missing:
            raise AccountNotFound(account_id) from missing
        if not entry.value:
            raise AccountNotFound(account_id)
        return AccountRecord.model_validate_json(entry.value), entry.revision or 0

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

    async def _apply(
        self, account_id: str, leg: str, change: Callable[[AccountRecord], None]
    ) -> AccountRecord:
        """Apply one leg to an account once, by compare-and-set; concurrent writers retry."""
        while True:
            account, revision = await self._read(account_id)
            if leg in account.applied:
                return account  # a retry: applied before
            change(account)  # may raise (InsufficientFunds): nothing is written then
            account.applied = [*account.applied, leg][-APPLIED_MEMORY:]
            try:
                await self._accounts.update(
                    f"account.{account_id}", account.model_dump_json().encode(), revision
                )
            except KeyWrongLastSequenceError:
                continue  # another posting changed the account: decide again on the new state
            return account

    async def hold(self, account_id: str, posting_id: str, amount: int) -> AccountRecord:
        """Reserve `amount` for a posting; InsufficientFunds when the available balance is short."""

        def reserve(account: AccountRecord) -> None:
            if account.available < amount:
                raise InsufficientFunds(account_id)
            account.held += amount

        return await self._apply(account_id, f"{posting_id}.hold", reserve)

    async def release(self, account_id: str, posting_id: str, amount: int) -> None:
        """Give back what `hold` reserved for a posting that will not happen (no-op otherwise)."""
        if f"{posting_id}.hold" not in (await self.get(account_id)).applied:
            return  # nothing reserved (rejected by screening): nothing to write

        def unreserve(account: AccountRecord) -> None:
            if f"{posting_id}.hold" in account.applied and (
                f"{posting_id}.debit" not in account.applied
            ):
                account.held -= amount

        await self._apply(account_id, f"{posting_id}.release", unreserve)

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
        currency = from_account.currency
        debit = EntryRecord(
            entry_id=f"{posted_ns:020d}-{posting_id}",
            account_id=from_account.account_id,
            posting_id=posting_id,
            currency=currency,
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
        for entry in (debit, credit):
            key = f"entry.{entry.account_id}.{entry.entry_id}"
            await self._entries.put(key, entry.model_dump_json().encode())

        def take(account: AccountRecord) -> None:
            account.balance -= amount
            if not account.external:
                account.held -= amount

        def give(account: AccountRecord) -> None:
            account.balance += amount

        await self._apply(from_account.account_id, f"{posting_id}.debit", take)
        await self._apply(to_account_id, f"{posting_id}.credit", give)

    async def entries(
        self, account_id: str, page_size: int, after: int
    ) -> tuple[list[EntryRecord], int | None]:
        """One page of an account's entries in the order they were written (posting order),
        and where the next page starts (None: the end)."""
        page = await page_after(self._entries, f"entry.{account_id}.*", after, page_size)
        entries = [EntryRecord.model_validate_json(entry.value) for entry in page.entries]
        return entries, page.resume_after
