"""Local replies: Envoy's own refusals, given the status and google.rpc.Status details the
contract's clients expect (computed ahead in gateway/replies.py), with a JSON body for HTTP/JSON
calls."""

from collections.abc import Sequence
from typing import Any

import grpc

from accord.message_size import message_too_large
from gateway import replies
from gateway.envoy_config.names import (
    ACCORD,
    ALGORITHM_RULE,
    CREDENTIALS_RULE,
    EXT_AUTHZ,
    FAILURE,
    JWT,
    PAYLOAD,
    POLICY_MISSING_RULE,
    RBAC,
    SCOPE_RULE,
    SUBJECT,
    TOKEN_REASON,
    TYPE_RULE,
)
from gateway.envoy_config.shapes import Json, header
from gateway.replies import Refusal
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings


def reply_mappers(settings: GatewaySettings, routes: RouteTable) -> list[Json]:
    mappers: list[Json] = []
    # What the token-reasons filter named (token_reasons.py), before jwt_authn's own wording.
    for reason, refusal in _token_reasons(settings):
        named = _metadata_filter(ACCORD, [TOKEN_REASON], {"string_match": {"exact": reason}})
        mappers.append(_mapper(_and_filter([_status_filter(401), named]), refusal))
    for pattern, reason, message in replies.JWT_FAILURES:
        if not reason:
            continue
        code = (
            grpc.StatusCode.UNAVAILABLE
            if reason == "KEYS_UNAVAILABLE"
            else grpc.StatusCode.UNAUTHENTICATED
        )
        refusal = replies.refusal(code, message, _info(reason))
        # Envoy's safe_regex matches the whole value.
        failed = _metadata_filter(
            JWT, [FAILURE, "message"], {"string_match": {"safe_regex": {"regex": pattern}}}
        )
        # The token-reasons filter refuses a failed token with 401 (jwt_authn itself, where it
        # refuses, 401 or 403 for an audience); jwt_authn also notes "Jwt is missing" on every
        # call without a token, which may pass: only refusals of a token are mapped here.
        refused = _or_filter([_status_filter(401), _status_filter(403)])
        mappers.append(_mapper(_and_filter([refused, _has_token(), failed]), refusal))
    principal = _or_filter(
        [
            _metadata_filter(JWT, [PAYLOAD, "sub"], {"present_match": True}),
            _metadata_filter(EXT_AUTHZ, [SUBJECT], {"present_match": True}),
        ]
    )
    limited = _status_filter(429)  # local_ratelimit answers 429
    if settings.rate_limit_per_s > 0:
        refusal = replies.rate_limited(
            "principal", settings.rate_limit_per_s, settings.rate_limit_burst
        )
        mappers.append(_mapper(_and_filter([limited, principal]), refusal))
    if settings.peer_rate_limit_per_s > 0:
        refusal = replies.rate_limited(
            "peer", settings.peer_rate_limit_per_s, settings.peer_rate_limit_burst
        )
        mappers.append(_mapper(limited, refusal))
    shadow: list[tuple[str, Refusal]] = [
        (
            CREDENTIALS_RULE,
            replies.unauthenticated(
                "CREDENTIALS_REQUIRED", "this method needs a bearer token or an API key"
            ),
        ),
        (
            TYPE_RULE,
            replies.unauthenticated(
                "BAD_TOKEN_TYPE",
                "the token's `typ` is not accepted",
                allowed=",".join(settings.auth.token_types),
            ),
        ),
        (
            ALGORITHM_RULE,
            replies.unauthenticated(
                "ALGORITHM_NOT_ALLOWED",
                "the token's signing algorithm is not accepted",
                allowed=",".join(sorted(settings.auth.algorithms)),
            ),
        ),
        (
            POLICY_MISSING_RULE,
            replies.permission_denied("POLICY_MISSING", "the method has no access policy"),
        ),
    ]
    for scope in sorted(
        {
            s
            for m in routes.methods.values()
            if m.contract.policy
            for s in m.contract.policy.required_scopes
        }
    ):
        shadow.append(
            (
                f"{SCOPE_RULE}{scope}",
                replies.permission_denied(
                    "MISSING_SCOPE", f"missing scope {scope}", scope=scope, missing_scopes=scope
                ),
            )
        )
    for rule, refusal in shadow:
        condition = _metadata_filter(
            RBAC, ["shadow_effective_policy_id"], {"string_match": {"exact": rule}}
        )
        mappers.append(_mapper(condition, refusal))
    # The buffer filter and the transcoder refuse an oversized request with 413.
    too_large = message_too_large(settings.max_receive_message_bytes)
    mappers.append(_mapper(_status_filter(413), Refusal(too_large)))
    for name in routes.services:
        on_path = {
            "header_filter": {"header": {"name": ":path", "string_match": {"prefix": f"/{name}/"}}}
        }
        overflow = replies.overloaded(
            name, settings.max_concurrent_calls, settings.shed_retry_after_s
        )
        mappers.append(
            _mapper(_and_filter([on_path, {"response_flag_filter": {"flags": ["UO"]}}]), overflow)
        )
        down = {"response_flag_filter": {"flags": ["UH", "UF", "URX", "NC"]}}
        mappers.append(_mapper(_and_filter([on_path, down]), replies.service_unavailable(name)))
    return _with_json_twins(mappers)


def _token_reasons(settings: GatewaySettings) -> list[tuple[str, Refusal]]:
    return [
        (
            "ALGORITHM_NOT_ALLOWED",
            replies.unauthenticated(
                "ALGORITHM_NOT_ALLOWED",
                "the token's signing algorithm is not accepted",
                allowed=",".join(sorted(settings.auth.algorithms)),
            ),
        ),
        (
            "TOKEN_LIFETIME_TOO_LONG",
            replies.unauthenticated(
                "TOKEN_LIFETIME_TOO_LONG",
                "the token's lifetime is longer than allowed",
                max_lifetime_seconds=str(settings.auth.max_lifetime_seconds),
            ),
        ),
    ]


def _mapper(condition: Json, refusal: Refusal) -> Json:
    """Rewrite a matching local reply: its HTTP status (hence its gRPC code, where the code has
    an HTTP status of its own), its message, and the details it carries."""
    mapper: Json = {
        "filter": condition,
        "body": {"inline_string": refusal.message},
        "headers_to_add": [header("grpc-status-details-bin", refusal.details_bin())],
        "_refusal": refusal,
    }
    if refusal.code in replies.HTTP_FOR_CODE:
        mapper["status_code"] = refusal.http_status
    else:
        # No HTTP status of its own: a gRPC caller gets the code itself (Envoy keeps a
        # grpc-status a mapper sets); an HTTP/JSON caller keeps the HTTP status (its twin).
        mapper["_grpc_status"] = header("grpc-status", str(refusal.code.value[0]))
    return mapper


def _with_json_twins(mappers: list[Json]) -> list[Json]:
    """Each mapper, preceded by its twin for HTTP/JSON calls (the transcoder marks them with
    `x-envoy-original-path`): the same status with a JSON google.rpc.Status body."""
    twins: list[Json] = []
    for mapper in mappers:
        refusal: Refusal = mapper.pop("_refusal")
        grpc_status = mapper.pop("_grpc_status", None)
        twin = {key: value for key, value in mapper.items() if key != "body"}
        if grpc_status is not None:
            mapper["headers_to_add"] = [*mapper["headers_to_add"], grpc_status]
        twin["filter"] = _and_filter([mapper["filter"], _transcoded()])
        twin["body_format_override"] = {
            "json_format": refusal.json(),
            "content_type": "application/json",
        }
        twins.append(twin)
    return [*twins, *mappers]


def _transcoded() -> Json:
    return {"header_filter": {"header": {"name": "x-envoy-original-path", "present_match": True}}}


def _metadata_filter(namespace: str, path: Sequence[str], value: Json) -> Json:
    return {
        "metadata_filter": {
            "matcher": {"filter": namespace, "path": [{"key": p} for p in path], "value": value},
            "match_if_key_not_found": False,
        }
    }


def _status_filter(code: int) -> Json:
    return {
        "status_code_filter": {
            "comparison": {"op": "EQ", "value": {"default_value": code, "runtime_key": "unused"}}
        }
    }


def _has_token() -> Json:
    return {"header_filter": {"header": {"name": "authorization", "present_match": True}}}


def _or_filter(filters: list[Json]) -> Json:
    return {"or_filter": {"filters": filters}}


def _and_filter(filters: list[Json]) -> Json:
    return {"and_filter": {"filters": filters}}


def _info(reason: str) -> Any:
    from accord.rpc_status import error_info

    return error_info(reason)
