"""The refusals services share (accord.access, accord.rpc_status): one code, text, reason and
metadata each, whichever service answers."""

import grpc
from google.rpc import error_details_pb2

from accord.access import none_for_order, not_found, permission_denied
from accord.rpc_status import RpcError, request_reused


def _info(error: RpcError) -> error_details_pb2.ErrorInfo:
    (detail,) = error.details
    assert isinstance(detail, error_details_pb2.ErrorInfo)
    return detail


def test_a_record_kept_per_order_is_not_found_naming_the_order() -> None:
    error = none_for_order("payment", "o-1")
    assert (error.code, error.text) == (grpc.StatusCode.NOT_FOUND, "no payment for order o-1")
    assert _info(error).reason == "PAYMENT_NOT_FOUND"
    assert dict(_info(error).metadata) == {"order_id": "o-1"}


def test_a_record_with_an_id_of_its_own_is_not_found_naming_it() -> None:
    error = not_found("ticket", "tk1")
    assert (error.code, error.text) == (grpc.StatusCode.NOT_FOUND, "ticket tk1 not found")
    assert (_info(error).reason, dict(_info(error).metadata)) == ("TICKET_NOT_FOUND", {"id": "tk1"})


def test_a_refusal_without_an_owner_field_says_why() -> None:
    error = permission_denied("deposits are for staff holding banking:admin")
    assert error.code == grpc.StatusCode.PERMISSION_DENIED
    assert error.text == "deposits are for staff holding banking:admin"
    assert _info(error).reason == "PERMISSION_DENIED"


def test_a_reused_request_id_names_it_and_what_it_was_used_for() -> None:
    error = request_reused("r-1", "with another quote")
    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    assert error.text == "request_id r-1 was already used with another quote"
    assert (_info(error).reason, dict(_info(error).metadata)) == (
        "REQUEST_ID_REUSED",
        {"request_id": "r-1"},
    )
