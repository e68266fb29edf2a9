"""accord.money: exact splits, the same-sign rule, and overflow refused by field."""

import grpc
import pytest
from acme.banking.v1 import banking_pb2
from acme.orders.v2 import orders_pb2
from google.rpc import error_details_pb2
from hypothesis import given
from hypothesis import strategies as st

from accord import money
from accord.rpc_status import RpcError

NANOS = st.integers(min_value=0, max_value=money.NANOS_PER_UNIT - 1)


def _bad_field(error: RpcError) -> str:
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    (detail,) = error.details
    assert isinstance(detail, error_details_pb2.BadRequest)
    return str(detail.field_violations[0].field)


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_a_split_is_exact_and_keeps_one_sign(nanos: int) -> None:
    units, rest = money.split(nanos)
    assert units * money.NANOS_PER_UNIT + rest == nanos
    assert abs(rest) < money.NANOS_PER_UNIT
    assert units * rest >= 0  # never opposite signs


@pytest.mark.parametrize("units", [10**8, 10**12, 10**17, 2**62, money.MAX_UNITS])
def test_large_amounts_keep_every_nano(units: int) -> None:
    # The float division the services used turned 10^8 units and up into units and nanos
    # of opposite signs (and lost nanos further up).
    for sign in (1, -1):
        nanos = sign * (units * money.NANOS_PER_UNIT + 999_999_999)
        amount = money.to_money(orders_pb2.Money, "USD", nanos, "total")
        assert (amount.units, amount.nanos) == (sign * units, sign * 999_999_999)
        assert money.to_nanos(amount, "total") == nanos


@given(st.integers(min_value=0, max_value=money.MAX_UNITS), NANOS, st.sampled_from([1, -1]))
def test_messages_round_trip(units: int, nanos: int, sign: int) -> None:
    amount = banking_pb2.Money(currency_code="EUR", units=sign * units, nanos=sign * nanos)
    whole = money.to_nanos(amount, "amount")
    assert money.to_money(banking_pb2.Money, "EUR", whole, "amount") == amount


@pytest.mark.parametrize(
    ("units", "nanos"), [(1, -1), (-1, 1), (0, money.NANOS_PER_UNIT), (0, -money.NANOS_PER_UNIT)]
)
def test_a_message_breaking_the_rules_is_refused_naming_its_field(units: int, nanos: int) -> None:
    amount = orders_pb2.Money(currency_code="USD", units=units, nanos=nanos)
    with pytest.raises(RpcError) as refused:
        money.to_nanos(amount, "lines[2].unit_price")
    assert _bad_field(refused.value) == "lines[2].unit_price"


@pytest.mark.parametrize("sign", [1, -1])
def test_an_amount_beyond_int64_units_is_refused_naming_its_field(sign: int) -> None:
    too_large = sign * (money.MAX_UNITS + 2) * money.NANOS_PER_UNIT
    with pytest.raises(RpcError) as refused:
        money.to_money(orders_pb2.Money, "USD", too_large, "total")
    assert _bad_field(refused.value) == "total"


def test_cents_round_toward_zero_and_amounts_read_exactly() -> None:
    assert money.to_cents(4_509_999_999) == 450
    assert money.to_cents(-4_509_999_999) == -450
    assert money.from_cents(450) == 4_500_000_000
    assert money.format_amount("USD", 4_500_000_000) == "USD 4.50"
    assert money.format_amount("EUR", -1_000_000_001) == "EUR -1.000000001"
    assert money.format_amount("JPY", 12 * money.NANOS_PER_UNIT) == "JPY 12.00"
