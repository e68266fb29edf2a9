"""acme.banking.v1.BankingService: checks each call, then asks the ledger and the transfers."""

from dataclasses import dataclass

import grpc
from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc

from accord.access import Access, Context, not_found, permission_denied
from accord.identity import Principal
from accord.money import MAX_UNITS, overflow, split, to_nanos
from accord.paging import after_sequence, page_size_or_default, sequence_token
from accord.rpc_status import (
    RpcError,
    error_info,
    field_violation,
    invalid_argument,
    request_reused,
)
from accord.validation import check, id_violations
from services.banking import validation
from services.banking.deposits import Deposits
from services.banking.ledger import AccountNotFound, Ledger
from services.banking.records import AccountRecord, account_pb, entry_pb, transfer_pb
from services.banking.transfers import NotHeld, RequestConflict, TransferNotFound, Transfers


@dataclass(frozen=True, slots=True)
class BankingServiceV1(pb_grpc.BankingServiceServicer):
    ledger: Ledger
    transfers: Transfers
    deposits: Deposits
    access: Access

    async def _account(self, account_id: str, caller: Principal | None) -> AccountRecord:
        """The account, if it exists and (when `caller` is given) the caller may see it."""
        try:
            account = await self.ledger.get(account_id)
        except AccountNotFound:
            raise not_found("account", account_id) from None
        # The funding accounts are the bank's own books: staff only, whatever a subject says.
        hidden = account.external and not self.access.is_admin(caller) if caller else False
        if caller is not None and (hidden or not self.access.may_see(caller, account.customer_id)):
            raise not_found("account", account_id)
        return account

    async def OpenAccount(
        self, request: pb.OpenAccountRequest, context: Context
    ) -> pb.OpenAccountResponse:
        caller = self.access.caller(context)
        check(validation.open_account_violations(request))
        # The gateway checks the owner too; a direct call is held to the same rule.
        if not self.access.may_see(caller, request.customer_id):
            raise permission_denied("a customer may open accounts only for themselves")
        account = await self.ledger.open(request.customer_id, request.currency_code)
        return pb.OpenAccountResponse(account=account_pb(account))

    async def GetAccount(
        self, request: pb.GetAccountRequest, context: Context
    ) -> pb.GetAccountResponse:
        caller = self.access.caller(context)
        check(id_violations("account_id", request.account_id))
        return pb.GetAccountResponse(
            account=account_pb(await self._account(request.account_id, caller))
        )

    async def Deposit(self, request: pb.DepositRequest, context: Context) -> pb.DepositResponse:
        self.access.staff(context, f"deposits are for staff holding {self.access.admin_scope}")
        check(validation.deposit_violations(request))
        account = await self._account(request.account_id, None)
        if account.external or request.amount.currency_code != account.currency:
            field = "account_id" if account.external else "amount.currency_code"
            raise invalid_argument(
                [field_violation(field, f"must name a customer account in {account.currency}")]
            )
        amount = to_nanos(request.amount, "amount")
        if split(account.balance + amount)[0] > MAX_UNITS:
            raise overflow("amount")  # the balance would no longer fit Money
        try:
            credited, posting_id = await self.deposits.deposit(request, account, amount)
        except RequestConflict:
            raise request_reused(request.request_id, "with other content") from None
        return pb.DepositResponse(account=account_pb(credited), posting_id=posting_id)

    async def Transfer(self, request: pb.TransferRequest, context: Context) -> pb.TransferResponse:
        caller = self.access.caller(context)
        check(validation.transfer_violations(request))
        # Only the owner moves money out of an account, staff included: a transfer is the
        # customer's own act, and its request id is idempotent per customer.
        source = await self._account(request.from_account_id, None)
        if source.external or source.customer_id != caller.subject:
            raise not_found("account", request.from_account_id)
        if request.amount.currency_code != source.currency:
            raise invalid_argument(
                [field_violation("amount.currency_code", f"must be {source.currency}")]
            )
        # The destination is usually someone else's: one that does not exist, the bank's
        # own books and an account in another currency get the same answer, so that no
        # answer tells whether an account exists in another currency, or in which.
        try:
            target = await self.ledger.get(request.to_account_id)
        except AccountNotFound:
            raise not_found("account", request.to_account_id) from None
        if target.external or target.currency != source.currency:
            raise not_found("account", request.to_account_id)
        try:
            transfer = await self.transfers.request(
                caller.subject, request, source.currency, to_nanos(request.amount, "amount")
            )
        except RequestConflict:
            raise request_reused(request.request_id, "with other content") from None
        return pb.TransferResponse(transfer=transfer_pb(transfer))

    async def GetTransfer(
        self, request: pb.GetTransferRequest, context: Context
    ) -> pb.GetTransferResponse:
        caller = self.access.caller(context)
        check(id_violations("transfer_id", request.transfer_id))
        try:
            transfer = await self.transfers.get(request.transfer_id)
        except TransferNotFound:
            raise not_found("transfer", request.transfer_id) from None
        if not self.access.may_see(caller, transfer.customer_id):
            raise not_found("transfer", request.transfer_id)
        return pb.GetTransferResponse(transfer=transfer_pb(transfer))

    async def ListEntries(
        self, request: pb.ListEntriesRequest, context: Context
    ) -> pb.ListEntriesResponse:
        caller = self.access.caller(context)
        check(validation.list_entries_violations(request))
        after = after_sequence(request.page_token)
        await self._account(request.account_id, caller)
        entries, last = await self.ledger.entries(
            request.account_id, page_size_or_default(request.page_size), after
        )
        return pb.ListEntriesResponse(
            entries=[entry_pb(entry) for entry in entries], next_page_token=sequence_token(last)
        )

    async def ReviewTransfer(
        self, request: pb.ReviewTransferRequest, context: Context
    ) -> pb.ReviewTransferResponse:
        self.access.staff(context, f"reviews are for staff holding {self.access.admin_scope}")
        check(id_violations("transfer_id", request.transfer_id))
        try:
            transfer = await self.transfers.review(request.transfer_id, request.approve)
        except TransferNotFound:
            raise not_found("transfer", request.transfer_id) from None
        except NotHeld:
            raise RpcError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"transfer {request.transfer_id} is not held for review",
                error_info("TRANSFER_NOT_HELD", transfer_id=request.transfer_id),
            ) from None
        return pb.ReviewTransferResponse(transfer=transfer_pb(transfer))
