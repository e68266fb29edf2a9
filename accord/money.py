"""Exact money for every service: whole nanos inside, units and nanos on the wire.

Inside a service an amount is a Python int of nanos (10^-9 of the currency's unit): sums and
products never round and never overflow. On the wire it is a Money message shaped like
`google.type.Money` (`currency_code`, `units` int64, `nanos` int32), whatever package it
belongs to, or an event's `{currency, units, nanos}`. Three rules hold at the border:

- nanos are from -999,999,999 to 999,999,999 and carry the sign of the units (the
  same-sign rule of google.type.Money): -1.75 is units -1 and nanos -750,000,000;
- splitting is exact integer division (`divmod` of the magnitude, then the sign), never a
  float, so 10^17 units and up keep every nano;
- an amount that does not fit Money's int64 units is refused with INVALID_ARGUMENT naming
  the field, instead of wrapping round or raising deep inside protobuf.

New API versions should carry `google.type.Money` itself (googleapis-common-protos); these
functions take any message of that shape.
"""

from collections.abc import Callable
from typing import Protocol, TypeVar

from accord.rpc_status import RpcError, field_violation, invalid_argument

NANOS_PER_UNIT = 1_000_000_000
NANOS_PER_CENT = 10_000_000
# Money.units is an int64.
MAX_UNITS = 2**63 - 1
MIN_UNITS = -(2**63)


class MoneyMessage(Protocol):
    """What every Money message has: google.type.Money's three fields."""

    currency_code: str
    units: int
    nanos: int


M = TypeVar("M")
E = TypeVar("E")  # an events package's Money model


def violation_of(money: MoneyMessage) -> str | None:
    """Why `money` breaks the rules of google.type.Money, or None."""
    if not -NANOS_PER_UNIT < money.nanos < NANOS_PER_UNIT:
        return "nanos must be from -999,999,999 to 999,999,999"
    if (money.units > 0 and money.nanos < 0) or (money.units < 0 and money.nanos > 0):
        return "units and nanos must have the same sign"
    return None


def to_nanos(money: MoneyMessage, field: str) -> int:
    """The amount in whole nanos; INVALID_ARGUMENT naming `field` if it breaks the rules."""
    problem = violation_of(money)
    if problem is not None:
        raise invalid_argument([field_violation(field, problem)])
    return money.units * NANOS_PER_UNIT + money.nanos


def split(nanos: int) -> tuple[int, int]:
    """(units, nanos) of an amount in whole nanos, both with the amount's sign."""
    units, rest = divmod(abs(nanos), NANOS_PER_UNIT)
    return (units, rest) if nanos >= 0 else (-units, -rest)


def overflow(field: str) -> RpcError:
    return invalid_argument(
        [field_violation(field, "is too large: the amount does not fit Money's int64 units")]
    )


def to_money(factory: Callable[..., M], currency_code: str, nanos: int, field: str) -> M:
    """A Money message for `nanos`, made by `factory` (a Money class: `orders_pb2.Money`);
    INVALID_ARGUMENT naming `field` when its units do not fit int64."""
    units, rest = split(nanos)
    if not MIN_UNITS <= units <= MAX_UNITS:
        raise overflow(field)
    return factory(currency_code=currency_code, units=units, nanos=rest)


def event_money(factory: Callable[..., E], currency: str, nanos: int) -> E:
    """The events' Money for `nanos`, made by `factory` (the Money model of an events
    package, from asyncapi/common/money.yaml); the runtime imports no generated package."""
    units, rest = split(nanos)
    return factory(currency=currency, units=units, nanos=rest)


def to_cents(nanos: int) -> int:
    """Whole cents, rounded toward zero (a sub-cent part cannot be said in cents)."""
    cents = abs(nanos) // NANOS_PER_CENT
    return cents if nanos >= 0 else -cents


def from_cents(cents: int) -> int:
    return cents * NANOS_PER_CENT


def format_amount(currency_code: str, nanos: int) -> str:
    """`USD 4.50`, for messages people read: exact, with at least two decimals."""
    units, rest = split(abs(nanos))
    decimals = f"{rest:09d}".rstrip("0").ljust(2, "0")
    sign = "-" if nanos < 0 else ""
    return f"{currency_code} {sign}{units}.{decimals}"


__all__ = [
    "MAX_UNITS",
    "MIN_UNITS",
    "NANOS_PER_CENT",
    "NANOS_PER_UNIT",
    "MoneyMessage",
    "format_amount",
    "from_cents",
    "overflow",
    "split",
    "to_cents",
    "to_money",
    "to_nanos",
    "violation_of",
]
