"""Property: whatever the history, and wherever a crash falls, entries sum to the balances.

Hypothesis draws histories of deposits, transfers, reviews and replays of earlier requests;
each call may "crash" before any one of its writes (the bucket refuses that write and every
later one of the call, as a killed process would never make them), and is then retried with
the same request, as a client would. The buckets are the real ones of the session's
nats-server.

Checked after every call and after every crash: each account's balance is the sum of its
entries (those still pending in the account included), and no customer account is below
zero. After every finished call: what is held is exactly what the transfers held for review
reserve, and the entries of this history sum to zero. At the end, replaying every request
changes nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from acme.banking.v1 import banking_pb2 as pb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client as NatsClient
from nats.js.kv import KeyValue

from accord.service import RunningService
from services.banking.deposits import Deposits
from services.banking.events import TransferEvents
from services.banking.ledger import (
    ACCOUNTS_BUCKET,
    ENTRIES_BUCKET,
    AccountNotFound,
    Ledger,
    funding_account_id,
)
from services.banking.records import Status, TransferRecord
from services.banking.transfers import TRANSFERS_BUCKET, NotHeld, Transfers
from tests.support.banking import UNIT

pytestmark = pytest.mark.integration

CUSTOMERS = 3


class Crash(Exception):
    """The process died before this write."""


class Fuse:
    """Blows before the n-th write of a call, and stays blown for the rest of it."""

    def __init__(self, writes_before_crash: int | None) -> None:
        self.left = writes_before_crash

    def write(self) -> None:
        if self.left is None:
            return
        if self.left == 0:
            raise Crash()
        self.left -= 1


class FusedBucket(KeyValue):
    """The real bucket, whose writes stop at the fuse."""

    def __init__(self, kv: KeyValue, fuse: Fuse) -> None:
        super().__init__(kv._name, kv._stream, kv._pre, kv._js, kv._direct)
        self._fuse = fuse

    async def put(self, key: str, value: bytes, validate_keys: bool = True) -> int:
        self._fuse.write()
        return await super().put(key, value, validate_keys)

    async def create(
        self, key: str, value: bytes, validate_keys: bool = True, msg_ttl: float | None = None
    ) -> int:
        self._fuse.write()
        return await super().create(key, value, validate_keys, msg_ttl)

    async def update(
        self, key: str, value: bytes, last: int | None = None, validate_keys: bool = True
    ) -> int:
        self._fuse.write()
        return await super().update(key, value, last, validate_keys)

    async def purge(self, key: str, msg_ttl: float | None = None) -> bool:
        self._fuse.write()
        return await super().purge(key, msg_ttl)


class NoEvents(TransferEvents):
    """Transfer events are not what this test is about."""

    def __init__(self) -> None:
        pass

    async def status_changed(self, transfer: TransferRecord) -> None:
        return None


@dataclass
class Bank:
    buckets: tuple[KeyValue, KeyValue, KeyValue]
    currency: str
    accounts: list[str] = field(default_factory=list)
    transfers: list[str] = field(default_factory=list)  # ids, in the order they were made

    def open(self, fuse: Fuse) -> tuple[Ledger, Transfers, Deposits]:
        """The banking service as a freshly started process would build it."""
        accounts, entries, transfers = (FusedBucket(kv, fuse) for kv in self.buckets)
        ledger = Ledger(accounts, entries)
        return ledger, Transfers(transfers, ledger, NoEvents()), Deposits(transfers, ledger)


# A history: each step is an operation and where (if anywhere) its first attempt crashes.
crash_points = st.none() | st.integers(min_value=0, max_value=30)
operations = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, CUSTOMERS - 1), st.integers(1, 700)),
    st.tuples(
        st.just("transfer"),
        st.integers(0, CUSTOMERS - 1),
        st.integers(1, CUSTOMERS - 1),
        st.sampled_from([1, 5, 40, 300, 600, 2_000]),
    ),
    st.tuples(st.just("review"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("replay"), st.integers(0, 40)),
)
histories = st.lists(st.tuples(operations, crash_points), min_size=1, max_size=14)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
async def test_entries_sum_to_balances_whatever_the_history_and_the_crashes(
    banking_service: RunningService,  # its start provisions the buckets
    nats_client: NatsClient,
    history: list[tuple[tuple[Any, ...], int | None]],
) -> None:
    js = nats_client.jetstream()
    buckets = (
        await js.key_value(ACCOUNTS_BUCKET),
        await js.key_value(ENTRIES_BUCKET),
        await js.key_value(TRANSFERS_BUCKET),
    )
    tag = uuid.uuid4().hex[:8]
    bank = Bank(buckets, currency="Z" + "".join(chr(65 + int(c, 16) % 26) for c in tag[:2]))
    ledger, _, _ = bank.open(Fuse(None))
    for n in range(CUSTOMERS):
        bank.accounts.append((await ledger.open(f"c{n}-{tag}", bank.currency)).account_id)

    done: list[Any] = []  # every request that went through, to replay
    for step, (operation, crash_at) in enumerate(history):
        call = _call(bank, operation, step, done, tag)
        if call is None:
            continue
        try:
            await call(Fuse(crash_at))
        except Crash:
            await _check_balances(bank)  # even between two writes
            await call(Fuse(None))  # the client's retry
        done.append(call)
        await _check_balances(bank)
        await _check_settled(bank)

    before = await _snapshot(bank)
    for call in done:
        await call(Fuse(None))
    assert await _snapshot(bank) == before


def _call(bank: Bank, operation: tuple[Any, ...], step: int, done: list[Any], tag: str) -> Any:
    """The operation as a call that can be made (and made again) from a fresh process."""
    kind = operation[0]
    if kind == "deposit":
        _, who, units = operation
        request = pb.DepositRequest(
            account_id=bank.accounts[who],
            amount=pb.Money(currency_code=bank.currency, units=units),
            request_id=f"d{step}-{tag}",
        )

        async def deposit(fuse: Fuse) -> None:
            ledger, _, deposits = bank.open(fuse)
            account = await ledger.get(request.account_id)
            await deposits.deposit(request, account, units * UNIT)

        return deposit
    if kind == "transfer":
        _, sender, offset, units = operation
        receiver = (sender + offset) % CUSTOMERS
        transfer = pb.TransferRequest(
            request_id=f"t{step}",
            from_account_id=bank.accounts[sender],
            to_account_id=bank.accounts[receiver],
            amount=pb.Money(currency_code=bank.currency, units=units),
        )
        customer = f"c{sender}-{tag}"

        async def send(fuse: Fuse) -> None:
            _, transfers, _ = bank.open(fuse)
            record = await transfers.request(customer, transfer, bank.currency, units * UNIT)
            if record.transfer_id not in bank.transfers:
                bank.transfers.append(record.transfer_id)

        return send
    if kind == "review":
        _, which, approve = operation
        if not bank.transfers:
            return None
        transfer_id = bank.transfers[which % len(bank.transfers)]

        async def review(fuse: Fuse) -> None:
            _, transfers, _ = bank.open(fuse)
            # NotHeld: decided before, the other way, or never held: nothing to do.
            with contextlib.suppress(NotHeld):
                await transfers.review(transfer_id, approve)

        return review
    _, which = operation
    return done[which % len(done)] if done else None


async def _accounts(bank: Bank) -> list[Any]:
    ledger, _, _ = bank.open(Fuse(None))
    ids = [*bank.accounts]
    with contextlib.suppress(AccountNotFound):  # none before the first deposit
        ids.append((await ledger.get(funding_account_id(bank.currency))).account_id)
    return [await ledger.get(account_id) for account_id in ids]


async def _entries(bank: Bank, account_id: str) -> list[Any]:
    ledger, _, _ = bank.open(Fuse(None))
    entries: list[Any] = []
    after: int | None = 0
    while after is not None:
        page, after = await ledger.entries(account_id, 100, after)
        entries += page
    return entries


async def _check_balances(bank: Bank) -> None:
    for account in await _accounts(bank):
        entries = await _entries(bank, account.account_id)
        assert account.balance == sum(entry.amount for entry in entries), account.account_id
        assert len({entry.entry_id for entry in entries}) == len(entries)
        if not account.external:
            assert account.balance >= 0
            assert account.held >= 0


async def _check_settled(bank: Bank) -> None:
    """With no call in flight: holds match the transfers under review, and every posting of
    this history has both its entries."""
    _, transfers, _ = bank.open(Fuse(None))
    records = [await transfers.get(transfer_id) for transfer_id in bank.transfers]
    mine = set(bank.accounts)
    for account in await _accounts(bank):
        if account.external:
            continue
        reviewing = sum(
            r.amount
            for r in records
            if r.from_account_id == account.account_id and r.status is Status.HELD_FOR_REVIEW
        )
        assert account.held == reviewing
        assert account.available >= 0
    total = 0
    for account in await _accounts(bank):
        for entry in await _entries(bank, account.account_id):
            if entry.account_id in mine or entry.counterparty_account_id in mine:
                total += entry.amount
    assert total == 0
    assert [r.transfer_id for r in records if r.status is Status.PENDING] == []


async def _snapshot(bank: Bank) -> list[tuple[str, int, int, int]]:
    return [
        (a.account_id, a.balance, a.held, len(await _entries(bank, a.account_id)))
        for a in await _accounts(bank)
    ]
