"""Money as google.type.Money keeps it (units + nanos); inside the service, whole nanos.

Whole nanos are Python ints: sums never round and never overflow.
"""

from acme.banking.v1 import banking_pb2 as pb

NANOS_PER_UNIT = 1_000_000_000


def to_nanos(money: pb.Money) -> int:
    return money.units * NANOS_PER_UNIT + money.nanos


def from_nanos(currency_code: str, nanos: int) -> pb.Money:
    # Units and nanos carry the same sign, as google.type.Money requires (debits are negative).
    units = int(nanos / NANOS_PER_UNIT)
    return pb.Money(currency_code=currency_code, units=units, nanos=nanos - units * NANOS_PER_UNIT)


def units_and_nanos(nanos: int) -> tuple[int, int]:
    """A non-negative amount as (units, nanos), for event payloads."""
    return divmod(nanos, NANOS_PER_UNIT)
