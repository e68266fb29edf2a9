"""The one error mapping: honest codes, nothing Python in a message, details that fit."""

import grpc
import nats.errors
from google.rpc import error_details_pb2, status_pb2

from accord.error_mapping import mapped, unavailable
from accord.rpc_status import MAX_STATUS_BYTES, field_violation, invalid_argument


def _status(error: object) -> status_pb2.Status:
    sent = mapped(error, "/acme.x.v1.X/Do", "req-1").to_status()  # type: ignore[arg-type]
    details = dict(sent.trailing_metadata)["grpc-status-details-bin"]
    return status_pb2.Status.FromString(details)


def test_a_nats_timeout_is_unavailable_with_retry_info() -> None:
    error = mapped(nats.errors.TimeoutError(), "/acme.x.v1.X/Do", "req-1")
    assert error.code == grpc.StatusCode.UNAVAILABLE
    retry = error_details_pb2.RetryInfo()
    assert any(detail.Unpack(retry) for detail in _status(nats.errors.TimeoutError()).details)
    assert "Timeout" not in error.text


def test_a_service_names_what_could_not_be_done_and_still_says_when_to_retry() -> None:
    error = unavailable("the report could not be stored", "REPORT_NOT_STORED")
    details = _status(error).details
    retry, info = error_details_pb2.RetryInfo(), error_details_pb2.ErrorInfo()
    assert any(detail.Unpack(retry) for detail in details)
    assert retry.retry_delay.seconds > 0
    assert [info.reason for detail in details if detail.Unpack(info)] == ["REPORT_NOT_STORED"]
    assert error.code == grpc.StatusCode.UNAVAILABLE


def test_an_overflow_is_invalid_argument_and_the_unexpected_internal_with_a_request_id() -> None:
    overflow = mapped(ValueError("Value out of range: 1e30"), "/acme.x.v1.X/Do", "req-1")
    assert overflow.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "ValueError" not in overflow.text
    assert "out of range: 1e30" not in overflow.text
    unexpected = mapped(KeyError("secret"), "/acme.x.v1.X/Do", "req-1")
    assert unexpected.code == grpc.StatusCode.INTERNAL
    assert unexpected.text == "internal error; request id req-1"


def test_ten_thousand_violations_are_bounded_and_counted() -> None:
    violations = [
        field_violation(f"lines[{n}].sku" + "k" * 200, "x" * 3_000) for n in range(10_000)
    ]
    sent = invalid_argument(violations).to_status()
    status = status_pb2.Status.FromString(dict(sent.trailing_metadata)["grpc-status-details-bin"])
    assert status.ByteSize() <= MAX_STATUS_BYTES
    request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(request)
    kept = len(request.field_violations)
    assert status.message.endswith(f"(and {10_000 - kept} more)")
    assert len(status.message.encode()) <= 300
    assert 1 <= kept <= 10
    assert request.field_violations[0].field.startswith("lines[0].sku")
