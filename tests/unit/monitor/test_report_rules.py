"""ReportError's request rules: which reports are refused, naming each bad field."""

from datetime import UTC, datetime, timedelta

from acme.monitor.v1 import monitor_pb2 as pb

from services.monitor.validation import MAX_AGE, MAX_AHEAD, report_violations

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _report(**fields: object) -> pb.ReportErrorRequest:
    base: dict[str, object] = {
        "report_id": "r-1",
        "customer_id": "alice",
        "application": "checkout.web-2",
        "error_code": "E_TIMEOUT",
        "message": "timed out",
    }
    return pb.ReportErrorRequest(**{**base, **fields})  # type: ignore[arg-type]


def _at(moment: datetime) -> pb.ReportErrorRequest:
    request = _report()
    request.occur_time.FromDatetime(moment)
    return request


def _fields(request: pb.ReportErrorRequest) -> list[str]:
    return [v.field for v in report_violations(request, NOW)]


def test_a_plain_report_passes_with_or_without_its_time() -> None:
    assert _fields(_report()) == []
    assert _fields(_at(NOW - MAX_AGE)) == []
    assert _fields(_at(NOW + MAX_AHEAD)) == []


def test_times_too_old_or_too_far_ahead_are_refused() -> None:
    assert _fields(_at(NOW - MAX_AGE - timedelta(seconds=1))) == ["occur_time"]
    assert _fields(_at(NOW + MAX_AHEAD + timedelta(seconds=1))) == ["occur_time"]


def test_each_bad_field_is_named() -> None:
    request = _report(
        report_id="",
        customer_id="a b",
        application="",
        error_code="e_timeout",
        message="",
        stack="x" * 20_001,
        context={str(n): "v" for n in range(33)},
    )
    assert _fields(request) == [
        "report_id",
        "customer_id",
        "application",
        "error_code",
        "message",
        "stack",
        "context",
    ]
