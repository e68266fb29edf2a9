"""The HTTP filter chain, in the order a call meets it (see gateway/config.py), and the small
filters that need no module of their own: identity headers stripped, gRPC stats per method."""

from accord.auth import IDENTITY_HEADERS
from gateway.envoy_config.authentication import api_key_authz, jwt_authn, note_api_key
from gateway.envoy_config.browsers import transcoder
from gateway.envoy_config.message_size import buffer_filter
from gateway.envoy_config.names import (
    AUTHORIZED,
    EXT_AUTHZ,
    JWT,
    PAYLOAD,
    RBAC,
    RBAC_CAUSE,
    SUBJECT,
)
from gateway.envoy_config.rate_limits import metadata_descriptor, rate_limit
from gateway.envoy_config.request_ids import fresh_ids_for_invalid_ones
from gateway.envoy_config.shapes import Json, named_filter, router, typed
from gateway.envoy_config.token_reasons import token_reasons
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings


def http_filters(settings: GatewaySettings, routes: RouteTable) -> list[Json]:
    # Browsers first: CORS answers preflights itself, gRPC-Web becomes gRPC; then as any call.
    filters = [
        named_filter("envoy.filters.http.cors", "extensions.filters.http.cors.v3", "Cors"),
        named_filter(
            "envoy.filters.http.grpc_web", "extensions.filters.http.grpc_web.v3", "GrpcWeb"
        ),
        transcoder(settings, routes),
        fresh_ids_for_invalid_ones(),
        _strip_identity_headers(),
        _grpc_stats(routes),
    ]
    if settings.peer_rate_limit_per_s > 0:
        filters.append(
            rate_limit(
                "peer",
                settings.peer_rate_limit_per_s,
                settings.peer_rate_limit_burst,
                "remote_address",
                [[{"remote_address": {}}]],
            )
        )
    filters.append(jwt_authn(settings))
    filters.append(token_reasons(settings))
    filters.append(note_api_key())
    filters.append(api_key_authz(settings))
    empty_rbac = {"@type": typed("extensions.filters.http.rbac.v3", "RBAC")}
    filters.append({"name": RBAC_CAUSE, "typed_config": empty_rbac})
    filters.append({"name": RBAC, "typed_config": empty_rbac})
    if settings.rate_limit_per_s > 0:
        filters.append(
            rate_limit(
                "principal",
                settings.rate_limit_per_s,
                settings.rate_limit_burst,
                "principal",
                [
                    [metadata_descriptor("principal", JWT, [PAYLOAD, "sub"])],
                    [metadata_descriptor("principal", EXT_AUTHZ, [SUBJECT])],
                ],
            )
        )
    filters.append(buffer_filter(settings))
    filters.append(router())
    return filters


def _grpc_stats(routes: RouteTable) -> Json:
    """Calls per gRPC method and status (Prometheus: envoy_cluster_grpc_*), for the methods of
    the contracts only: stat names made once, and a caller cannot mint new ones."""
    services: dict[str, list[str]] = {}
    for method in routes.methods.values():
        services.setdefault(method.contract.service, []).append(method.contract.name)
    return {
        "name": "envoy.filters.http.grpc_stats",
        "typed_config": {
            "@type": typed("extensions.filters.http.grpc_stats.v3", "FilterConfig"),
            "individual_method_stats_allowlist": {
                "services": [
                    {"name": name, "method_names": methods}
                    for name, methods in sorted(services.items())
                ]
            },
            "enable_upstream_stats": True,
        },
    }


def _strip_identity_headers() -> Json:
    """Before anything reads headers: no client-supplied identity reaches a filter or service."""
    removed = sorted({*IDENTITY_HEADERS, AUTHORIZED, SUBJECT})
    return {
        "name": "envoy.filters.http.header_mutation",
        "typed_config": {
            "@type": typed("extensions.filters.http.header_mutation.v3", "HeaderMutation"),
            "mutations": {"request_mutations": [{"remove": name} for name in removed]},
        },
    }
