"""Money as google.type.Money keeps it (units + nanos); inside the service, whole nanos.

Whole nanos are Python ints: products and sums never round unless we say so.
"""

from acme.pricing.v1 import pricing_pb2 as pb
from acme_events.pricing.messages.json import Money

NANOS_PER_UNIT = 1_000_000_000


def to_nanos(money: pb.Money) -> int:
    return money.units * NANOS_PER_UNIT + money.nanos


def money_pb(currency: str, nanos: int) -> pb.Money:
    units, rest = divmod(nanos, NANOS_PER_UNIT)
    return pb.Money(currency_code=currency, units=units, nanos=rest)


def event_money(currency: str, nanos: int) -> Money:
    units, rest = divmod(nanos, NANOS_PER_UNIT)
    return Money(currency=currency, units=units, nanos=rest)
