"""PlaceOrder input rules, as the contract states them; each broken rule names its field."""

import re

from acme.orders.v1 import orders_pb2
from google.rpc import error_details_pb2

from accord.rpc_status import field_violation

# Ids become parts of key-value keys and subjects: letters, digits, '-' and '_' only.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_LINES = 100
MAX_QUANTITY = 1000
MAX_SKU_LENGTH = 64
MAX_REASON_LENGTH = 200

Violations = list[error_details_pb2.BadRequest.FieldViolation]


def id_violations(field: str, value: str) -> Violations:
    if _ID.fullmatch(value):
        return []
    return [field_violation(field, "must be 1 to 64 letters, digits, '-' or '_'")]


def place_order_violations(request: orders_pb2.PlaceOrderRequest) -> Violations:
    violations = id_violations("request_id", request.request_id)
    violations += id_violations("customer_id", request.customer_id)
    if not 1 <= len(request.lines) <= MAX_LINES:
        violations.append(field_violation("lines", f"must hold 1 to {MAX_LINES} lines"))
    for index, line in enumerate(request.lines):
        violations += _line_violations(f"lines[{index}]", line)
    return violations


def _line_violations(prefix: str, line: orders_pb2.OrderLine) -> Violations:
    violations: Violations = []
    if not 1 <= len(line.sku) <= MAX_SKU_LENGTH:
        violations.append(
            field_violation(f"{prefix}.sku", f"must be 1 to {MAX_SKU_LENGTH} characters")
        )
    if not 1 <= line.quantity <= MAX_QUANTITY:
        violations.append(
            field_violation(f"{prefix}.quantity", f"must be from 1 to {MAX_QUANTITY}")
        )
    if line.unit_price_cents < 0:
        violations.append(field_violation(f"{prefix}.unit_price_cents", "must not be negative"))
    return violations


def list_orders_violations(request: orders_pb2.ListOrdersRequest) -> Violations:
    violations = id_violations("customer_id", request.customer_id)
    if not 0 <= request.page_size <= 100:
        violations.append(field_violation("page_size", "must be from 0 to 100"))
    return violations


def cancel_order_violations(request: orders_pb2.CancelOrderRequest) -> Violations:
    violations = id_violations("order_id", request.order_id)
    if len(request.reason) > MAX_REASON_LENGTH:
        violations.append(
            field_violation("reason", f"must be at most {MAX_REASON_LENGTH} characters")
        )
    return violations
