"""Where ReportError publishes error-reported: once per customer and report id.

The event id is `<customerId>.<reportId>`: an app that retries a report (same id) publishes
the same event, which JetStream stores once within its duplicate window, and which the
consumer counts once on the ticket after that (the id is the ticket's occurrence id).
"""

from dataclasses import dataclass
from datetime import datetime

from acme.monitor.v1 import monitor_pb2 as pb
from acme_events.monitor import Application
from acme_events.monitor.messages.json import ErrorReportedPayload

from services.monitor.fingerprint import fingerprint


def event_id(customer_id: str, report_id: str) -> str:
    return f"{customer_id}.{report_id}"


def payload_of(
    request: pb.ReportErrorRequest, occurred_at: datetime, received_at: datetime
) -> ErrorReportedPayload:
    payload = ErrorReportedPayload(
        report_id=request.report_id,
        customer_id=request.customer_id,
        application=request.application,
        error_code=request.error_code,
        message=request.message,
        fingerprint=fingerprint(request.application, request.error_code, request.message),
        occurred_at=occurred_at,
        received_at=received_at,
    )
    # Left unset when empty: the contract has no null for them.
    if request.stack:
        payload.stack = request.stack
    if request.context:
        payload.context = dict(request.context)
    return payload


@dataclass(frozen=True, slots=True)
class Reports:
    app: Application

    async def publish(self, payload: ErrorReportedPayload) -> str:
        published_id = event_id(payload.customer_id, payload.report_id)
        await self.app.producer.send_error_reported(
            payload, event_id=published_id, time=payload.occurred_at
        )
        return published_id
