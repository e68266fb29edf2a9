"""The journeys of the product brief, each a few calls through the gateway.

Every call goes through the gateway with a development token, exactly as a client would;
the timeline shows what the platform did in response, service by service.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from acme.banking.v1 import banking_pb2 as bank
from acme.banking.v1 import banking_pb2_grpc as bank_grpc
from acme.inventory.v1 import inventory_pb2 as stock
from acme.inventory.v1 import inventory_pb2_grpc as stock_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from nats.aio.client import Client as NatsClient

from accord.money import format_amount, to_nanos
from accord.tooling.examples import customer_scopes, staff_scopes
from demo.timeline import Timeline

# What a customer's app and the back office hold: from the contracts' policies.
CUSTOMER_SCOPES = customer_scopes()
STAFF_SCOPES = staff_scopes()
FINAL = {v2.ORDER_STATUS_SHIPPED, v2.ORDER_STATUS_CANCELLED}

Channel = Callable[..., grpc.aio.Channel]


@dataclass
class Demo:
    channel: Channel  # channel(subject, *scopes) → a channel to the gateway with a token
    run_id: str  # makes every customer id of this run new
    nats: NatsClient  # the developer's: watches events, publishes as apps do
    home: Path  # ACCORD_HOME: the development claim key, which makes devices' claim codes
    nats_servers: list[str]  # where a device connects as itself

    def customer(self, name: str) -> str:
        return f"{name}-{self.run_id}"


def _order(customer: str, sku: str, quantity: int, token: str) -> v2.PlaceOrderRequest:
    # No price: orders charges the catalogue's (inventory's), whatever a client would say.
    return v2.PlaceOrderRequest(
        request_id=uuid.uuid4().hex,
        customer_id=customer,
        lines=[v2.OrderLine(sku=sku, quantity=quantity)],
        payment_token=token,
    )


async def _purchase(
    demo: Demo, timeline: Timeline, customer: str, sku: str, quantity: int, token: str
) -> v2.Order:
    async with demo.channel(customer, *CUSTOMER_SCOPES) as channel:
        orders = v2_grpc.OrderServiceStub(channel)
        placed = (await orders.PlaceOrder(_order(customer, sku, quantity, token))).order
        timeline.follow(placed.order_id)
        price = placed.lines[0].unit_price
        shown = format_amount(price.currency_code, to_nanos(price, "unit_price"))
        timeline.note("gateway", f"PlaceOrder → {placed.order_id} ({quantity} x {sku} at {shown})")
        order = placed
        async for update in orders.WatchOrder(v2.WatchOrderRequest(order_id=placed.order_id)):
            order = update.order
            status = v2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_")
            timeline.note("gateway", f"WatchOrder sees {status}")
        inbox = notes_grpc.NotificationServiceStub(channel)
        await asyncio.sleep(0.3)  # the last notification trails the last event a little
        listed = await inbox.ListNotifications(notes.ListNotificationsRequest(customer_id=customer))
        for note in listed.notifications:
            timeline.note("notifications", f"in-app: {note.title}")
        return order


async def happy_purchase(demo: Demo, timeline: Timeline) -> None:
    await _purchase(demo, timeline, demo.customer("alice"), "TEA-1", 2, "tok_visa")


async def declined_purchase(demo: Demo, timeline: Timeline) -> None:
    await _purchase(demo, timeline, demo.customer("bob"), "TEA-1", 1, "tok_decline_demo")


async def out_of_stock_purchase(demo: Demo, timeline: Timeline) -> None:
    sku = f"LAST-{demo.run_id}"
    async with demo.channel("staff", *STAFF_SCOPES) as channel:
        catalogue = stock_grpc.InventoryServiceStub(channel)
        await catalogue.SetStock(stock.SetStockRequest(sku=sku, available=1))
        price = stock.Money(currency_code="USD", units=19, nanos=900_000_000)
        await catalogue.SetPrice(stock.SetPriceRequest(sku=sku, unit_price=price))
    timeline.note("gateway", f"SetStock {sku} = 1, SetPrice USD 19.90 (staff)")
    await _purchase(demo, timeline, demo.customer("carol"), sku, 2, "tok_visa")


async def _open_account(demo: Demo, customer: str) -> bank.Account:
    async with demo.channel(customer, *CUSTOMER_SCOPES) as channel:
        opened = await bank_grpc.BankingServiceStub(channel).OpenAccount(
            bank.OpenAccountRequest(customer_id=customer, currency_code="EUR")
        )
        return opened.account


async def bank_transfers(demo: Demo, timeline: Timeline) -> None:
    dave = demo.customer("dave")
    timeline.follow(dave)
    source = await _open_account(demo, dave)
    erin = await _open_account(demo, demo.customer("erin"))
    frank = await _open_account(demo, demo.customer("frank"))
    async with (
        demo.channel(dave, *CUSTOMER_SCOPES) as as_dave,
        demo.channel("staff", *STAFF_SCOPES) as as_staff,
    ):
        daves = bank_grpc.BankingServiceStub(as_dave)
        await bank_grpc.BankingServiceStub(as_staff).Deposit(
            bank.DepositRequest(
                account_id=source.account_id,
                request_id=f"fund-{demo.run_id}",
                amount=bank.Money(currency_code="EUR", units=2000),
            )
        )
        timeline.note("gateway", f"staff funds {source.account_id} with 2000 EUR")
        # A small transfer to erin, then a large one to frank, whom dave never paid before.
        for target, units in ((erin, 40), (frank, 900)):
            transfer = (
                await daves.Transfer(
                    bank.TransferRequest(
                        request_id=uuid.uuid4().hex,
                        from_account_id=source.account_id,
                        to_account_id=target.account_id,
                        amount=bank.Money(currency_code="EUR", units=units),
                    )
                )
            ).transfer
            timeline.follow(transfer.transfer_id)
            status = bank.TransferStatus.Name(transfer.status)
            timeline.note("gateway", f"Transfer {units} EUR to {target.customer_id} → {status}")
        await asyncio.sleep(0.5)  # let the notifications of the outcomes land


JOURNEYS: list[tuple[str, Callable[[Demo, Timeline], Awaitable[None]]]] = [
    ("Purchase: paid, reserved, shipped", happy_purchase),
    ("Purchase: the card is declined", declined_purchase),
    ("Purchase: the last unit is gone after payment (refund)", out_of_stock_purchase),
    ("Banking: a transfer completes, a large one to a new payee is held", bank_transfers),
]
