"""`accord.validation.check`: the one way a servicer refuses a request's bad fields."""

import grpc
import pytest
from google.rpc import error_details_pb2

from accord.rpc_status import RpcError
from accord.validation import check, id_violations


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
