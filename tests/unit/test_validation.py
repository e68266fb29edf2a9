"""`accord.validation.check`: the one way a servicer refuses a request's bad fields."""

from dataclasses import dataclass

import grpc
import pytest
from google.rpc import error_details_pb2

from accord.rpc_status import RpcError
from accord.validation import (
    check,
    currency_violations,
    id_violations,
    positive_amount_violations,
)


def test_no_violations_passes() -> None:
    check([])
    check(id_violations("order_id", "o-1"))


def test_violations_are_one_invalid_argument_naming_every_field() -> None:
    violations = id_violations("order_id", "a b") + id_violations("customer_id", "")
    with pytest.raises(RpcError) as raised:
        check(violations)
    error = raised.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.text == "invalid request: order_id, customer_id"
    (detail,) = error.details
    assert isinstance(detail, error_details_pb2.BadRequest)
    assert [v.field for v in detail.field_violations] == ["order_id", "customer_id"]


def test_a_currency_is_three_capital_letters() -> None:
    assert currency_violations("amount.currency_code", "EUR") == []
    (refused,) = currency_violations("amount.currency_code", "eur")
    assert refused.field == "amount.currency_code"
    assert refused.description == "must be a three-letter ISO 4217 code"


@pytest.mark.parametrize(
    ("units", "nanos"), [(0, 0), (-1, 0), (0, -1), (0, 1_000_000_000), (1_001, 0)]
)
def test_an_amount_is_positive_and_at_most_the_maximum(units: int, nanos: int) -> None:
    amount = _Money(currency_code="EUR", units=units, nanos=nanos)
    (refused,) = positive_amount_violations("amount", amount, 1_000)
    assert refused.field == "amount"
    assert refused.description == "must be positive, at most 1000 units; nanos 0 to 999,999,999"


def test_a_positive_amount_passes_and_a_bad_currency_is_named_too() -> None:
    assert positive_amount_violations("fare", _Money("EUR", 1_000, 0), 1_000) == []
    assert positive_amount_violations("fare", _Money("EUR", 0, 1), 1_000) == []
    refused = positive_amount_violations("fare", _Money("", 0, 0), 1_000)
    assert [v.field for v in refused] == ["fare.currency_code", "fare"]


@dataclass
class _Money:
    currency_code: str
    units: int
    nanos: int
