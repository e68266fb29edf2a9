"""Request rules, as the contracts state them; each broken rule names its field."""

import re
from typing import Protocol

from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v2 import orders_pb2 as v2

from accord.money import NANOS_PER_CENT, NANOS_PER_UNIT
from accord.paging import page_size_violations
from accord.rpc_status import field_violation
from accord.validation import Violations, currency_violations, id_violations

# A payment token is opaque: it travels in the order-placed event to payments, so it keeps
# to a short, header- and log-safe alphabet.
_PAYMENT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MAX_LINES = 100
MAX_QUANTITY = 1000
MAX_SKU_LENGTH = 64
MAX_REASON_LENGTH = 200
# Every version must be able to say an order's total: v1 says it in int64 cents.
MAX_TOTAL_NANOS = (2**63 - 1) * NANOS_PER_CENT


class _Line(Protocol):
    sku: str
    quantity: int


def _order_violations(request_id: str, customer_id: str, lines: int) -> Violations:
    violations = id_violations("request_id", request_id)
    violations += id_violations("customer_id", customer_id)
    if not 1 <= lines <= MAX_LINES:
        violations.append(field_violation("lines", f"must hold 1 to {MAX_LINES} lines"))
    return violations


def _line_violations(prefix: str, line: _Line) -> Violations:
    violations: Violations = []
    if not 1 <= len(line.sku) <= MAX_SKU_LENGTH:
        violations.append(
            field_violation(f"{prefix}.sku", f"must be 1 to {MAX_SKU_LENGTH} characters")
        )
    if not 1 <= line.quantity <= MAX_QUANTITY:
        violations.append(
            field_violation(f"{prefix}.quantity", f"must be from 1 to {MAX_QUANTITY}")
        )
    return violations


def place_order_v1_violations(request: v1.PlaceOrderRequest) -> Violations:
    violations = _order_violations(request.request_id, request.customer_id, len(request.lines))
    for index, line in enumerate(request.lines):
        violations += _line_violations(f"lines[{index}]", line)
        if line.unit_price_cents < 0:
            violations.append(
                field_violation(f"lines[{index}].unit_price_cents", "must not be negative")
            )
    totals = [line.quantity * line.unit_price_cents * NANOS_PER_CENT for line in request.lines]
    violations += total_violations(totals)
    return violations + _payment_token_violations(request.payment_token)


def place_order_v2_violations(request: v2.PlaceOrderRequest) -> Violations:
    violations = _order_violations(request.request_id, request.customer_id, len(request.lines))
    # Prices are optional (the catalogue's are charged); those given share one currency.
    given = [line.unit_price.currency_code for line in request.lines if line.HasField("unit_price")]
    currency = given[0] if given else ""
    for index, line in enumerate(request.lines):
        violations += _line_violations(f"lines[{index}]", line)
        if line.HasField("unit_price"):
            violations += _price_violations(f"lines[{index}].unit_price", line.unit_price, currency)
    return violations + _payment_token_violations(request.payment_token)


def total_violations(line_totals: list[int]) -> Violations:
    """The order total (the sum of `line_totals`, in nanos) must be one every version can say."""
    if 0 <= sum(line_totals) <= MAX_TOTAL_NANOS:
        return []
    cents = MAX_TOTAL_NANOS // NANOS_PER_CENT
    return [
        field_violation(
            "lines", f"the order total must be at most {cents // 100:,}.{cents % 100:02d}"
        )
    ]


def _payment_token_violations(token: str) -> Violations:
    if not token or _PAYMENT_TOKEN.fullmatch(token):
        return []
    return [field_violation("payment_token", "must be up to 128 letters, digits, '-' or '_'")]


def _price_violations(prefix: str, price: v2.Money, currency: str) -> Violations:
    violations = currency_violations(f"{prefix}.currency_code", price.currency_code)
    if not violations and price.currency_code != currency:
        violations.append(
            field_violation(f"{prefix}.currency_code", f"must match the first price's {currency}")
        )
    if price.units < 0 or not 0 <= price.nanos < NANOS_PER_UNIT:
        violations.append(
            field_violation(prefix, "must not be negative; nanos from 0 to 999,999,999")
        )
    return violations


def list_orders_violations(customer_id: str, page_size: int) -> Violations:
    return id_violations("customer_id", customer_id) + page_size_violations(page_size)


def cancel_order_violations(order_id: str, field: str, reason: str) -> Violations:
    violations = id_violations("order_id", order_id)
    if len(reason) > MAX_REASON_LENGTH:
        violations.append(field_violation(field, f"must be at most {MAX_REASON_LENGTH} characters"))
    return violations
