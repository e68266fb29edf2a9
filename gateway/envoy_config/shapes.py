"""Envoy's JSON shapes the other parts are written in: type URLs, addresses, durations, headers."""

import re
from typing import Any

Json = dict[str, Any]


def typed(package: str, message: str) -> str:
    return f"type.googleapis.com/envoy.{package}.{message}"


def socket_address(host: str, port: int) -> Json:
    return {"socket_address": {"address": host, "port_value": port}}


def duration(seconds: float) -> str:
    return f"{seconds:.3f}s"


def header(key: str, value: str) -> Json:
    return {"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}


def percent(value: int, runtime_key: str) -> Json:
    return {
        "default_value": {"numerator": value, "denominator": "HUNDRED"},
        "runtime_key": runtime_key,
    }


def is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+|\[?[0-9a-fA-F:]+\]?", host))


def named_filter(name: str, package: str, message: str) -> Json:
    return {"name": name, "typed_config": {"@type": typed(package, message)}}


def router() -> Json:
    return {
        "name": "envoy.filters.http.router",
        "typed_config": {"@type": typed("extensions.filters.http.router.v3", "Router")},
    }


def certificate(cert: Any, key: Any) -> Json:
    return {
        "certificate_chain": {"filename": str(cert.resolve())},
        "private_key": {"filename": str(key.resolve())},
    }
