"""Envoy's JSON shapes the other parts are written in: type URLs, addresses, durations, headers."""

import re
from typing import Any

Json = dict[str, Any]


TYPE_URL = "type.googleapis.com/"


def typed(package: str, message: str) -> str:
    return f"{TYPE_URL}envoy.{package}.{message}"


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


def only_when(name: str, predicate: Json, delegate: Json) -> Json:
    """`delegate` (an HTTP filter) made and run only for calls that match `predicate` (Envoy's
    composite filter behind a matcher): a call that does not match pays for the match alone."""
    action = {
        "name": f"{name}_matched",
        "typed_config": {
            "@type": typed("extensions.filters.http.composite.v3", "ExecuteFilterAction"),
            "typed_config": delegate,
        },
    }
    return {
        "name": name,
        "typed_config": {
            "@type": typed("extensions.common.matching.v3", "ExtensionWithMatcher"),
            "extension_config": {
                "name": "composite",
                "typed_config": {
                    "@type": typed("extensions.filters.http.composite.v3", "Composite")
                },
            },
            "xds_matcher": {
                "matcher_list": {
                    "matchers": [{"predicate": predicate, "on_match": {"action": action}}]
                }
            },
        },
    }


def header_is(header_name: str, value_match: Json) -> Json:
    """A matcher predicate on a request header's value (false when the header is absent)."""
    return {
        "single_predicate": {
            "input": {
                "name": f"header {header_name}",
                "typed_config": {
                    "@type": f"{TYPE_URL}envoy.type.matcher.v3.HttpRequestHeaderMatchInput",
                    "header_name": header_name,
                },
            },
            "value_match": value_match,
        }
    }


def metadata_is(namespace: str, path: list[str], value: Json, invert: bool = False) -> Json:
    """A matcher predicate on dynamic metadata an earlier filter left (`value`: a ValueMatcher)."""
    return {
        "single_predicate": {
            "input": {
                "name": f"metadata {namespace}",
                "typed_config": {
                    "@type": typed(
                        "extensions.matching.common_inputs.network.v3", "DynamicMetadataInput"
                    ),
                    "filter": namespace,
                    "path": [{"key": key} for key in path],
                },
            },
            "custom_match": {
                "name": "metadata",
                "typed_config": {
                    "@type": typed("extensions.matching.input_matchers.metadata.v3", "Metadata"),
                    "value": value,
                    "invert": invert,
                },
            },
        }
    }


def all_of(*predicates: Json) -> Json:
    return {"and_matcher": {"predicate": list(predicates)}}


def negated(predicate: Json) -> Json:
    return {"not_matcher": predicate}
