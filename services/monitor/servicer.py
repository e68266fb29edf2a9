"""acme.monitor.v1.ErrorMonitorService: checks a report, then publishes it as an event."""

from dataclasses import dataclass
from datetime import UTC, datetime

from acme.monitor.v1 import monitor_pb2 as pb
from acme.monitor.v1 import monitor_pb2_grpc as pb_grpc

from accord.access import Context
from accord.error_mapping import unavailable
from accord.events import EventError
from accord.validation import check
from services.monitor.reports import Reports, payload_of
from services.monitor.validation import report_violations


@dataclass(frozen=True, slots=True)
class ErrorMonitorServiceV1(pb_grpc.ErrorMonitorServiceServicer):
    reports: Reports

    async def ReportError(
        self, request: pb.ReportErrorRequest, context: Context
    ) -> pb.ReportErrorResponse:
        now = datetime.now(UTC)
        check(report_violations(request, now))
        occurred = (
            request.occur_time.ToDatetime(tzinfo=UTC) if request.HasField("occur_time") else now
        )
        payload = payload_of(request, occurred, now)
        try:
            published = await self.reports.publish(payload)
        except EventError as failed:
            # Nothing is lost by asking again: the same report id is the same event.
            raise unavailable(
                "the report could not be stored (send it again with the same report_id)",
                "REPORT_NOT_STORED",
            ) from failed
        return pb.ReportErrorResponse(
            report_id=request.report_id, fingerprint=payload.fingerprint, event_id=published
        )
