"""Money as google.type.Money keeps it (units + nanos), and v1's whole cents of US dollars."""

from acme.orders.v2 import orders_pb2 as v2

V1_CURRENCY = "USD"  # version 1 had one currency and never said which
NANOS_PER_UNIT = 1_000_000_000
NANOS_PER_CENT = 10_000_000


def to_nanos(money: v2.Money) -> int:
    return money.units * NANOS_PER_UNIT + money.nanos


def from_nanos(currency_code: str, nanos: int) -> v2.Money:
    # Units and nanos carry the same sign, as google.type.Money requires; integer arithmetic
    # only (a float division is off by whole units from 2**53 nanos up).
    units, rest = divmod(abs(nanos), NANOS_PER_UNIT)
    sign = -1 if nanos < 0 else 1
    return v2.Money(currency_code=currency_code, units=sign * units, nanos=sign * rest)


def from_cents(cents: int) -> v2.Money:
    return from_nanos(V1_CURRENCY, cents * NANOS_PER_CENT)


def to_cents(money: v2.Money) -> int:
    # Sub-cent amounts cannot be said in v1; they round down to the cent.
    return to_nanos(money) // NANOS_PER_CENT
