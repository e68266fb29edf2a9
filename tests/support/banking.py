"""Requests and reads the banking tests share: whole units of money, a transfer, a ledger."""

from typing import Any

from acme.banking.v1 import banking_pb2 as pb

UNIT = 1_000_000_000  # nanos in one unit of a currency


def money(currency: str, units: int, nanos: int = 0) -> pb.Money:
    return pb.Money(currency_code=currency, units=units, nanos=nanos)


def nanos_of(amount: pb.Money) -> int:
    return amount.units * UNIT + amount.nanos


def transfer(
    request_id: str, source: pb.Account, target: pb.Account, units: int
) -> pb.TransferRequest:
    """`units` of the source account's currency from `source` to `target`."""
    return pb.TransferRequest(
        request_id=request_id,
        from_account_id=source.account_id,
        to_account_id=target.account_id,
        amount=money(source.currency_code, units),
    )


async def read_account(stub: Any, account_id: str) -> pb.Account:
    """The account as a BankingService stub (its owner's, or staff's) reads it."""
    reply = await stub.GetAccount(pb.GetAccountRequest(account_id=account_id))
    account: pb.Account = reply.account
    return account


async def review(staff: Any, transfer_id: str, approve: bool) -> pb.Transfer:
    """Staff's decision on a transfer held for review: the transfer as it is after it."""
    reply = await staff.ReviewTransfer(
        pb.ReviewTransferRequest(transfer_id=transfer_id, approve=approve)
    )
    transfer: pb.Transfer = reply.transfer
    return transfer


async def alice_and_bob(bank: Any, unique: str, funds: int) -> tuple[str, pb.Account, pb.Account]:
    """Alice, with an account holding `funds` units, and an empty account of Bob's to pay:
    alice's name, her account and his (through the banking tests' `bank` fixture)."""
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    return alice, await bank.account(alice, funds), await bank.account(bob)


async def entries(staff: Any, account_id: str, page_size: int = 100) -> list[pb.Entry]:
    """Every entry of an account, read page by page through a staff BankingService stub."""
    found: list[pb.Entry] = []
    token = ""
    while True:
        page = await staff.ListEntries(
            pb.ListEntriesRequest(account_id=account_id, page_size=page_size, page_token=token)
        )
        found += page.entries
        token = page.next_page_token
        if not token:
            return found
