"""The banking service as the platform runs it (accord.skeleton): its ledger, its transfers."""

from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc
from acme_events.banking import Application

from accord.skeleton import Api, Parts, Service
from services.banking.deposits import Deposits
from services.banking.events import TransferEvents
from services.banking.ledger import ACCOUNTS_BUCKET, ENTRIES_BUCKET, Ledger
from services.banking.servicer import BankingServiceV1
from services.banking.settings import BankingSettings
from services.banking.transfers import TRANSFERS_BUCKET, Transfers

API = Api.named("BankingService", pb, pb_grpc)


async def assemble(parts: Parts[BankingSettings, Application]) -> list[object]:
    js = parts.js
    ledger = Ledger(await js.key_value(ACCOUNTS_BUCKET), await js.key_value(ENTRIES_BUCKET))
    kv = await js.key_value(TRANSFERS_BUCKET)
    transfers = Transfers(kv, ledger, TransferEvents(parts.events))
    return [BankingServiceV1(ledger, transfers, Deposits(kv, ledger), parts.access())]


SERVICE = Service("banking", BankingSettings, (API,), Application, assemble)
