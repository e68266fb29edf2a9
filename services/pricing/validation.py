"""Request rules, as the contract states them; each broken rule names its field."""

import re
from datetime import date

from acme.pricing.v1 import pricing_pb2 as pb

from accord.rpc_status import field_violation
from accord.validation import Violations, id_violations, positive_amount_violations

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_CAPACITY = 10_000
MAX_SEATS = 100
# A fare of at most a million units: far above any seat, and products with seat counts stay
# far inside Money.units.
MAX_UNITS = 1_000_000


def date_violations(field: str, value: str) -> Violations:
    try:
        if _DATE.fullmatch(value):
            date.fromisoformat(value)
            return []
    except ValueError:
        pass
    return [field_violation(field, "must be an ISO 8601 calendar date such as 2026-12-24")]


def flight_violations(request: pb.GetPriceRequest | pb.ConfigureRouteRequest) -> Violations:
    return id_violations("route_id", request.route_id) + date_violations("date", request.date)


def configure_violations(request: pb.ConfigureRouteRequest) -> Violations:
    violations = flight_violations(request)
    if not 1 <= request.capacity <= MAX_CAPACITY:
        violations.append(field_violation("capacity", f"must be from 1 to {MAX_CAPACITY}"))
    amounts = {"base_fare": request.base_fare, "floor": request.floor, "ceiling": request.ceiling}
    for field, amount in amounts.items():
        violations += positive_amount_violations(field, amount, MAX_UNITS)
    currency = request.base_fare.currency_code
    for field in ("floor", "ceiling"):
        if amounts[field].currency_code != currency:
            violations.append(
                field_violation(f"{field}.currency_code", "must be the base fare's currency")
            )
    floor, ceiling = request.floor, request.ceiling
    if (floor.units, floor.nanos) > (ceiling.units, ceiling.nanos):
        violations.append(field_violation("ceiling", "must be at least the floor"))
    return violations


def quote_violations(request: pb.GetQuoteRequest) -> Violations:
    violations = (
        id_violations("customer_id", request.customer_id)
        + id_violations("route_id", request.route_id)
        + date_violations("date", request.date)
    )
    if not 1 <= request.seats <= MAX_SEATS:
        violations.append(field_violation("seats", f"must be from 1 to {MAX_SEATS}"))
    return violations


def book_violations(request: pb.BookSeatsRequest) -> Violations:
    return (
        id_violations("customer_id", request.customer_id)
        + id_violations("quote_id", request.quote_id)
        + id_violations("request_id", request.request_id)
    )
