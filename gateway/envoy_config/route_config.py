"""Routes: one per method to its service's cluster (deadlines, lifecycle headers on a deprecated
version), the control plane's health and reflection, and a direct answer naming what is served
for every path that is not."""

import json
import re
from typing import Any

from accord.descriptors import MethodContract
from accord.identity import PRINCIPAL_HEADER
from gateway.envoy_config import message_size
from gateway.envoy_config.authorization import rbac_per_route
from gateway.envoy_config.browsers import cors_policy
from gateway.envoy_config.clusters import Clusters
from gateway.envoy_config.names import (
    API_KEY,
    CONTROL_CLUSTER,
    HEALTH,
    JWT,
    RBAC,
    RBAC_CAUSE,
    REFLECTION,
)
from gateway.envoy_config.shapes import Json, header, typed
from gateway.replies import Refusal
from gateway.routes import RouteTable, ServiceRoute
from gateway.settings import GatewaySettings


def route_config(settings: GatewaySettings, routes: RouteTable, clusters: Clusters) -> Json:
    entries: list[Json] = []
    for path, method in routes.methods.items():
        entries.append(_method_route(settings, path, method.contract, method.service, clusters))
    control = {"cluster": CONTROL_CLUSTER, "timeout": "0s"}
    for service in (HEALTH, *REFLECTION):
        entries.append(
            {
                "match": {"prefix": f"/{service}/"},
                "route": control,
                "typed_per_filter_config": unauthenticated_route(),
            }
        )
    for name in routes.sunset:
        entries.append(_refusal_route({"prefix": f"/{name}/"}, routes.refusal(f"/{name}/x")))
    for name in routes.services:
        entries.append(_refusal_route({"prefix": f"/{name}/"}, routes.refusal(f"/{name}/")))
    for api in sorted(_apis(routes)):
        package, service = api
        pattern = f"^/{re.escape(package)}\\.v[^./]+\\.{re.escape(service)}/"
        example = f"/{package}.v0.{service}/"
        entries.append(_refusal_route({"safe_regex": {"regex": pattern}}, routes.refusal(example)))
    entries.append(_refusal_route({"prefix": "/"}, routes.refusal("/")))
    entries.append(_http_not_found(routes.refusal("/")))
    return {
        "name": "edge",
        "virtual_hosts": [
            {
                "name": "edge",
                "domains": ["*"],
                "routes": entries,
                # The API key was for the edge; no service holds one it could replay.
                "request_headers_to_remove": [API_KEY],
                "typed_per_filter_config": (
                    {"envoy.filters.http.cors": cors_policy(settings)}
                    if settings.cors_allowed_origins
                    else {}
                ),
            }
        ],
        # The edge's own identity headers are set by its filters, never taken from a backend.
        "response_headers_to_remove": [PRINCIPAL_HEADER],
    }


def _method_route(
    settings: GatewaySettings,
    path: str,
    method: MethodContract,
    service: ServiceRoute,
    clusters: Clusters,
) -> Json:
    deadline = (
        settings.default_stream_deadline_s
        if method.server_streaming
        else settings.default_deadline_s
    )
    route: Json = {
        "cluster": clusters.name_of(service.addresses),
        # Calls end by their deadline, which the client and the backend keep (a timer here
        # would race theirs and turn DEADLINE_EXCEEDED into a stream reset): the client's own,
        # or the default the edge adds when the client sets none.
        "timeout": "0s",
    }
    entry: Json = {
        "match": {"path": path},
        "route": route,
        "typed_per_filter_config": {
            JWT: {
                "@type": typed("extensions.filters.http.jwt_authn.v3", "PerRouteConfig"),
                "requirement_name": "optional",
            },
            **rbac_per_route(settings, method),
            **message_size.per_route(settings, method),
        },
    }
    if deadline is not None:
        # The backend sees the default as its own deadline, like a client's.
        entry["request_headers_to_add"] = [
            {
                "header": {"key": "grpc-timeout", "value": f"{max(1, round(deadline * 1000))}m"},
                "append_action": "ADD_IF_ABSENT",
            }
        ]
    if service.lifecycle_headers:
        entry["response_headers_to_add"] = [
            {"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
            for key, value in service.lifecycle_headers
        ]
    return entry


def _refusal_route(match: Json, error: Any) -> Json:
    """A direct trailers-only answer: no backend, no credentials looked at."""
    refusal = Refusal(error)
    return {
        "match": {**match, "headers": [_grpc_content_type()]},
        "direct_response": {"status": 200},
        "response_headers_to_add": [
            {"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
            for key, value in refusal.grpc_headers()
        ],
        "typed_per_filter_config": unauthenticated_route(),
    }


def _grpc_content_type() -> Json:
    """gRPC and gRPC-Web calls (application/grpc, application/grpc-web+proto, ...)."""
    return {"name": "content-type", "string_match": {"prefix": "application/grpc"}}


def _http_not_found(error: Any) -> Json:
    """Any other HTTP request no binding matched: 404 with a JSON google.rpc.Status."""
    body = json.dumps(Refusal(error).json(), sort_keys=True)
    return {
        "match": {"prefix": "/"},
        "direct_response": {"status": 404, "body": {"inline_string": body}},
        "response_headers_to_add": [header("content-type", "application/json")],
        "typed_per_filter_config": unauthenticated_route(),
    }


def unauthenticated_route() -> Json:
    return {
        JWT: {
            "@type": typed("extensions.filters.http.jwt_authn.v3", "PerRouteConfig"),
            "disabled": True,
        },
        RBAC: {"@type": typed("extensions.filters.http.rbac.v3", "RBACPerRoute")},
        RBAC_CAUSE: {"@type": typed("extensions.filters.http.rbac.v3", "RBACPerRoute")},
    }


def _apis(routes: RouteTable) -> dict[tuple[str, str], list[str]]:
    """Every API (package without its version, service name) with a served or sunset version."""
    apis: dict[tuple[str, str], list[str]] = {}
    for name in (*routes.services, *routes.sunset):
        package, _, service = name.rpartition(".")
        parts = package.split(".")
        if len(parts) > 1 and re.fullmatch(r"v\d+((alpha|beta)\d*)?", parts[-1]):
            apis.setdefault((".".join(parts[:-1]), service), []).append(name)
    return apis
