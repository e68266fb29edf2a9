"""Wiring of the banking service: its buckets, its event publisher, its servicer."""

from acme.banking.v1 import banking_pb2 as pb
from acme.banking.v1 import banking_pb2_grpc as pb_grpc
from acme_events.banking import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.banking.deposits import Deposits
from services.banking.events import TransferEvents
from services.banking.ledger import ACCOUNTS_BUCKET, ENTRIES_BUCKET, Ledger
from services.banking.servicer import BankingServiceV1
from services.banking.settings import BankingSettings
from services.banking.transfers import TRANSFERS_BUCKET, Transfers

NAME = "banking"
Settings = BankingSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["BankingService"].full_name,)


async def build(nc: NatsClient, settings: BankingSettings) -> Wiring:
    # Provision before opening the buckets: the contract declares them and the BANKING stream.
    events = Application(nc, settings=EventSettings(source=SOURCE))
    js = nc.jetstream()
    await provision_at_start(settings, [events.contract])
    await events.start()
    ledger = Ledger(await js.key_value(ACCOUNTS_BUCKET), await js.key_value(ENTRIES_BUCKET))
    kv = await js.key_value(TRANSFERS_BUCKET)
    transfers = Transfers(kv, ledger, TransferEvents(events))
    servicer = BankingServiceV1(ledger, transfers, Deposits(kv, ledger), Access.of(SERVICES[0]))
    return Wiring(
        registrars=[lambda server: pb_grpc.add_BankingServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        on_stop=[events.stop],
    )
