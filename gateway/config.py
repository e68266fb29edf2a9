"""The control plane's one job on the call path: compile contracts + settings into Envoy's config.

`compile_config` renders, in one pass, a static Envoy bootstrap (JSON) from the route table
(`routes.py`: services, methods, shapes, policies and lifecycles from the contracts image) and
`GatewaySettings`. The same inputs give the same bytes: `accord gateway config` prints it and
`envoy --mode validate` checks it. Nothing in it is edited by hand.

Where a call goes, in Envoy's filter order (HTTP connection manager, then):
1. `header_mutation` strips every identity header a client may forge (`IDENTITY_HEADERS`);
2. `local_ratelimit` (per peer address) spends a token before any credential is looked at;
3. `jwt_authn` verifies a bearer JWT against the JWKS (file or URL; issuer, audience, max
   lifetime, verified-token cache) and puts its header and payload (scopes split) in metadata;
4. `ext_authz`, only for calls carrying `x-api-key`: the control plane looks the key's hash
   up, applies the method's policy, and answers with the principal it signed for the service;
5. `rbac`, per route, from the method's policy: a verified JWT whose `typ` and `alg` are
   allowed and that holds every required scope, or an API key the control plane authorized;
   public methods let anyone in, a method without a policy nobody. Its shadow rules name the
   first cause of a refusal, which the local-reply mappers turn into a detailed status;
6. `local_ratelimit` (per principal);
7. the router: one route per method to its service's cluster (round robin over backends that
   pass gRPC health checks, a circuit breaker on calls in flight), the client's deadline or
   the default one, lifecycle headers on every answer of a deprecated version.
Paths that are not served get a direct trailers-only answer naming what is (`replies.py`).
"""

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc

from accord.auth import IDENTITY_HEADERS
from accord.descriptors import MethodContract
from accord.identity import PRINCIPAL_HEADER
from gateway import replies
from gateway.replies import Refusal
from gateway.routes import RouteTable, ServiceRoute
from gateway.settings import GatewaySettings

Json = dict[str, Any]

JWT = "envoy.filters.http.jwt_authn"
EXT_AUTHZ = "envoy.filters.http.ext_authz"
RBAC = "envoy.filters.http.rbac"
# A second rbac filter before the enforcing one: shadow rules only, naming why a call would be
# refused (rbac records its metadata after its own local reply, too late for the mappers).
RBAC_CAUSE = "rbac_cause"
ACCORD = "accord"
PROVIDER = "accord"
# Metadata keys (under JWT) of the verified token's payload and header, and of a failure.
PAYLOAD, HEADER, FAILURE = "jwt_payload", "jwt_header", "jwt_failure"
# Headers of the control plane's API-key answer that Envoy keeps as metadata (EXT_AUTHZ).
AUTHORIZED, SUBJECT = "x-accord-authorized", "x-accord-subject"
API_KEY = "x-api-key"
REQUEST_ID = "x-request-id"
# Shadow-rule names: the first that matches (they sort in this order) names the refusal.
POLICY_MISSING_RULE = "0-policy-missing"
CREDENTIALS_RULE = "1-credentials-required"
TYPE_RULE = "2-token-type"
ALGORITHM_RULE = "3-algorithm"
SCOPE_RULE = "4-scope:"
HEALTH = "grpc.health.v1.Health"
REFLECTION = ("grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection")
CONTROL_CLUSTER, AUTHZ_CLUSTER, ADMIN_CLUSTER = "control_plane", "control_plane_authz", "admin"
JWKS_CLUSTER = "jwks"


@dataclass(frozen=True)
class Ports:
    """Where the processes around Envoy listen, known before the configuration is written."""

    listen_port: int
    admin_port: int
    control_port: int  # the control plane's gRPC server (reflection, health)
    authz_port: int  # the control plane's HTTP server for ext_authz (API keys)
    metrics_port: int | None = None


def compile_config(settings: GatewaySettings, routes: RouteTable, ports: Ports) -> Json:
    """Envoy's bootstrap for `routes` under `settings`; see the module docstring."""
    clusters = _Clusters(settings)
    for service in routes.services.values():
        clusters.add(service.addresses)
    listeners = [_edge_listener(settings, routes, clusters, ports)]
    if ports.metrics_port is not None:
        listeners.append(_metrics_listener(settings, ports.metrics_port))
    return {
        "node": {"id": "accord-edge", "cluster": "accord"},
        "admin": {"address": _socket("127.0.0.1", ports.admin_port)},
        "static_resources": {
            "listeners": listeners,
            "clusters": [
                *clusters.rendered(),
                *_jwks_cluster(settings),
                _control_cluster(CONTROL_CLUSTER, ports.control_port, http2=True),
                _control_cluster(AUTHZ_CLUSTER, ports.authz_port, http2=False),
                _control_cluster(ADMIN_CLUSTER, ports.admin_port, http2=False),
            ],
        },
        "overload_manager": {
            "resource_monitors": [
                {
                    # An edge: bound the connections one Envoy holds open.
                    "name": "envoy.resource_monitors.global_downstream_max_connections",
                    "typed_config": {
                        "@type": _type(
                            "extensions.resource_monitors.downstream_connections.v3",
                            "DownstreamConnectionsConfig",
                        ),
                        "max_active_downstream_connections": 50_000,
                    },
                }
            ]
        },
    }


# Listeners.


def _edge_listener(
    settings: GatewaySettings, routes: RouteTable, clusters: "_Clusters", ports: Ports
) -> Json:
    host = settings.listen.rpartition(":")[0] or "127.0.0.1"
    manager = {
        "@type": _type(
            "extensions.filters.network.http_connection_manager.v3", "HttpConnectionManager"
        ),
        "stat_prefix": "edge",
        "codec_type": "AUTO",
        "generate_request_id": True,
        "preserve_external_request_id": True,
        "always_set_request_id_in_response": True,
        "use_remote_address": True,
        "stream_idle_timeout": "0s",
        "common_http_protocol_options": {"idle_timeout": _duration(settings.max_connection_idle_s)},
        "http2_protocol_options": {
            "connection_keepalive": {
                "interval": _duration(settings.keepalive_time_s),
                "timeout": _duration(settings.keepalive_timeout_s),
            },
            "max_concurrent_streams": 1024,
        },
        "route_config": _route_config(settings, routes, clusters),
        "http_filters": _http_filters(settings, routes),
        "local_reply_config": {"mappers": _reply_mappers(settings, routes)},
        "access_log": [_access_log(settings.access_log_path)],
    }
    chain: Json = {
        "filters": [
            {"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}
        ]
    }
    if settings.tls_cert_file is not None and settings.tls_key_file is not None:
        chain["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": _type("extensions.transport_sockets.tls.v3", "DownstreamTlsContext"),
                "common_tls_context": {
                    "alpn_protocols": ["h2", "http/1.1"],
                    "tls_params": {"tls_minimum_protocol_version": "TLSv1_2"},
                    "tls_certificates": [
                        _certificate(settings.tls_cert_file, settings.tls_key_file)
                    ],
                },
            },
        }
    return {
        "name": "edge",
        "address": _socket(host, ports.listen_port),
        "per_connection_buffer_limit_bytes": settings.max_receive_message_bytes + 65536,
        "filter_chains": [chain],
    }


def _certificate(cert: Any, key: Any) -> Json:
    return {
        "certificate_chain": {"filename": str(cert.resolve())},
        "private_key": {"filename": str(key.resolve())},
    }


def _upstream_tls(settings: GatewaySettings) -> Json | None:
    """Mutual TLS to the services: their certificates checked against the CA, ours shown."""
    if settings.upstream_tls_ca_file is None:
        return None
    context: Json = {
        "alpn_protocols": ["h2"],
        "validation_context": {
            "trusted_ca": {"filename": str(settings.upstream_tls_ca_file.resolve())}
        },
    }
    if settings.upstream_tls_cert_file is not None and settings.upstream_tls_key_file is not None:
        context["tls_certificates"] = [
            _certificate(settings.upstream_tls_cert_file, settings.upstream_tls_key_file)
        ]
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": _type("extensions.transport_sockets.tls.v3", "UpstreamTlsContext"),
            "common_tls_context": context,
        },
    }


def _metrics_listener(settings: GatewaySettings, port: int) -> Json:
    """Prometheus on `metrics_listen`: `/metrics` is Envoy's `/stats/prometheus`, nothing else
    of the admin endpoint is reachable through it."""
    host = settings.metrics_listen.rpartition(":")[0] or "127.0.0.1"
    route = {
        "match": {"path": "/metrics"},
        "route": {"cluster": ADMIN_CLUSTER, "prefix_rewrite": "/stats/prometheus"},
    }
    manager = {
        "@type": _type(
            "extensions.filters.network.http_connection_manager.v3", "HttpConnectionManager"
        ),
        "stat_prefix": "metrics",
        "route_config": {
            "virtual_hosts": [{"name": "metrics", "domains": ["*"], "routes": [route]}]
        },
        "http_filters": [_router()],
    }
    return {
        "name": "metrics",
        "address": _socket(host, port),
        "filter_chains": [
            {
                "filters": [
                    {
                        "name": "envoy.filters.network.http_connection_manager",
                        "typed_config": manager,
                    }
                ]
            }
        ],
    }


def _access_log(path: str) -> Json:
    """One JSON line per call: request id, subject, method, status, duration, bytes; to Envoy's
    stdout, or to a file."""
    if path:
        kind: Json = {
            "@type": _type("extensions.access_loggers.file.v3", "FileAccessLog"),
            "path": path,
        }
    else:
        kind = {"@type": _type("extensions.access_loggers.stream.v3", "StdoutAccessLog")}
    return {
        "name": "envoy.access_loggers.file" if path else "envoy.access_loggers.stdout",
        "typed_config": {
            **kind,
            "log_format": {
                "json_format": {
                    "request_id": f"%REQ({REQUEST_ID})%",
                    "subject": f"%DYNAMIC_METADATA({JWT}:{PAYLOAD}:sub)%",
                    "api_key_subject": f"%DYNAMIC_METADATA({EXT_AUTHZ}:{SUBJECT})%",
                    "method": "%REQ(:PATH)%",
                    "status": "%GRPC_STATUS%",
                    "http_status": "%RESPONSE_CODE%",
                    "duration_ms": "%DURATION%",
                    "bytes_in": "%BYTES_RECEIVED%",
                    "bytes_out": "%BYTES_SENT%",
                    "flags": "%RESPONSE_FLAGS%",
                    "peer": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
                },
            },
        },
    }


# HTTP filters.


def _http_filters(settings: GatewaySettings, routes: RouteTable) -> list[Json]:
    # Browsers first: CORS answers preflights itself, gRPC-Web becomes gRPC; then as any call.
    filters = [
        _filter("envoy.filters.http.cors", "extensions.filters.http.cors.v3", "Cors"),
        _filter("envoy.filters.http.grpc_web", "extensions.filters.http.grpc_web.v3", "GrpcWeb"),
        _transcoder(settings, routes),
        _strip_identity_headers(),
        _grpc_stats(routes),
    ]
    if settings.peer_rate_limit_per_s > 0:
        filters.append(
            _rate_limit(
                "peer",
                settings.peer_rate_limit_per_s,
                settings.peer_rate_limit_burst,
                "remote_address",
                [[{"remote_address": {}}]],
            )
        )
    filters.append(_jwt_authn(settings))
    filters.append(_note_api_key())
    filters.append(_api_key_authz(settings))
    empty_rbac = {"@type": _type("extensions.filters.http.rbac.v3", "RBAC")}
    filters.append({"name": RBAC_CAUSE, "typed_config": empty_rbac})
    filters.append({"name": RBAC, "typed_config": empty_rbac})
    if settings.rate_limit_per_s > 0:
        filters.append(
            _rate_limit(
                "principal",
                settings.rate_limit_per_s,
                settings.rate_limit_burst,
                "principal",
                [
                    [_metadata_descriptor("principal", JWT, [PAYLOAD, "sub"])],
                    [_metadata_descriptor("principal", EXT_AUTHZ, [SUBJECT])],
                ],
            )
        )
    filters.append(_router())
    return filters


def _transcoder(settings: GatewaySettings, routes: RouteTable) -> Json:
    """HTTP/JSON to gRPC from the contracts' `google.api.http` bindings (methods without one
    are gRPC only): JSON bodies, path and query parameters, server streams as one JSON object
    per line; a gRPC status becomes its HTTP status and a JSON google.rpc.Status body."""
    return {
        "name": "envoy.filters.http.grpc_json_transcoder",
        "typed_config": {
            "@type": _type("extensions.filters.http.grpc_json_transcoder.v3", "GrpcJsonTranscoder"),
            # Inline, so the configuration stands alone: the contracts plus google.rpc's
            # details, which the JSON bodies of gRPC errors name by type.
            "proto_descriptor_bin": base64.b64encode(transcoder_descriptors(routes)).decode(),
            "services": sorted(routes.services),
            "print_options": {
                "always_print_primitive_fields": True,
                "preserve_proto_field_names": True,
                "stream_newline_delimited": True,
            },
            "convert_grpc_status": True,
            "ignore_unknown_query_parameters": False,
            "request_validation_options": {"reject_binding_body_field_collisions": True},
        },
    }


def transcoder_descriptors(routes: RouteTable) -> bytes:
    """The contracts image with google/rpc/status.proto and error_details.proto added."""
    from google.protobuf import descriptor_pb2
    from google.rpc import error_details_pb2, status_pb2

    image = descriptor_pb2.FileDescriptorSet()
    image.CopyFrom(routes.image)
    present = {file.name for file in image.file}
    for module in (error_details_pb2, status_pb2):
        for file in (*module.DESCRIPTOR.dependencies, module.DESCRIPTOR):
            if file.name not in present:
                proto = image.file.add()
                file.CopyToProto(proto)
                present.add(file.name)
    return image.SerializeToString(deterministic=True)


def _grpc_stats(routes: RouteTable) -> Json:
    """Calls per gRPC method and status (Prometheus: envoy_cluster_grpc_*), for the methods of
    the contracts only: stat names made once, and a caller cannot mint new ones."""
    services: dict[str, list[str]] = {}
    for method in routes.methods.values():
        services.setdefault(method.contract.service, []).append(method.contract.name)
    return {
        "name": "envoy.filters.http.grpc_stats",
        "typed_config": {
            "@type": _type("extensions.filters.http.grpc_stats.v3", "FilterConfig"),
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
            "@type": _type("extensions.filters.http.header_mutation.v3", "HeaderMutation"),
            "mutations": {"request_mutations": [{"remove": name} for name in removed]},
        },
    }


def _rate_limit(
    name: str, rate: float, burst: int, key: str, descriptors: Sequence[Sequence[Json]]
) -> Json:
    """A token bucket per value of the descriptor (peer address, or principal)."""
    # `rate` tokens a second: one token per 1/rate s, or several per 50 ms (Envoy's shortest).
    interval = max(0.05, 1 / rate)
    bucket = {
        "max_tokens": max(burst, 1),
        "tokens_per_fill": max(1, round(rate * interval)),
        "fill_interval": _duration(interval),
    }
    return {
        "name": "envoy.filters.http.local_ratelimit",
        "typed_config": {
            "@type": _type("extensions.filters.http.local_ratelimit.v3", "LocalRateLimit"),
            "stat_prefix": f"rate_limit_{name}",
            # Descriptors only: calls no descriptor matches are not limited by this filter.
            "token_bucket": {
                "max_tokens": 1_000_000_000,
                "tokens_per_fill": 1_000_000_000,
                "fill_interval": "1s",
            },
            "filter_enabled": _percent(100, f"{name}_rate_limit_enabled"),
            "filter_enforced": _percent(100, f"{name}_rate_limit_enforced"),
            "rate_limited_as_resource_exhausted": True,
            "descriptors": [{"entries": [{"key": key}], "token_bucket": bucket}],
            "max_dynamic_descriptors": 100_000,
            "rate_limits": [{"actions": list(actions)} for actions in descriptors],
        },
    }


def _metadata_descriptor(key: str, namespace: str, path: Sequence[str]) -> Json:
    return {
        "metadata": {
            "descriptor_key": key,
            "metadata_key": {"key": namespace, "path": [{"key": part} for part in path]},
            "source": "DYNAMIC",
            "skip_if_absent": True,
        }
    }


def _jwt_authn(settings: GatewaySettings) -> Json:
    auth = settings.auth
    provider: Json = {
        "issuer": auth.issuer,
        "audiences": [auth.audience],
        "from_headers": [{"name": "authorization", "value_prefix": "Bearer "}],
        # Services verify the caller themselves: the verified token goes on to them.
        "forward": True,
        "payload_in_metadata": PAYLOAD,
        "header_in_metadata": HEADER,
        "failed_status_in_metadata": FAILURE,
        "normalize_payload_in_metadata": {"space_delimited_claims": ["scope", "scp"]},
        "require_expiration": True,
        "max_lifetime": _duration(auth.max_lifetime_seconds),
        "clock_skew_seconds": auth.leeway_seconds,
        "jwt_cache_config": {"jwt_cache_size": auth.token_cache_size},
    }
    if auth.jwks_url is not None:
        provider["remote_jwks"] = {
            "http_uri": {
                "uri": auth.jwks_url,
                "cluster": JWKS_CLUSTER,
                "timeout": _duration(auth.jwks_timeout_seconds),
            },
            "cache_duration": _duration(auth.jwks_max_age_seconds),
            "async_fetch": {"fast_listener": False},
            "retry_policy": {"num_retries": 3},
        }
    else:
        assert auth.jwks_file is not None
        provider["local_jwks"] = {"filename": str(auth.jwks_file.resolve())}
    optional = {
        "requires_any": {"requirements": [{"provider_name": PROVIDER}, {"allow_missing": {}}]}
    }
    return {
        "name": JWT,
        "typed_config": {
            "@type": _type("extensions.filters.http.jwt_authn.v3", "JwtAuthentication"),
            "providers": {PROVIDER: provider},
            # A call without a token may carry an API key, or call a public method: rbac
            # decides. A token that is there must verify, whatever the method.
            "requirement_map": {"optional": optional},
        },
    }


def _api_key_authz(settings: GatewaySettings) -> Json:
    """ext_authz to the control plane, skipped (a matcher) unless the call has `x-api-key`."""
    authz = {
        "@type": _type("extensions.filters.http.ext_authz.v3", "ExtAuthz"),
        "transport_api_version": "V3",
        "failure_mode_allow": False,
        "allowed_headers": {
            "patterns": [{"exact": API_KEY}, {"exact": "authorization"}, {"exact": REQUEST_ID}]
        },
        "status_on_error": {"code": "ServiceUnavailable"},
        "http_service": {
            "server_uri": {
                "uri": "http://control-plane",
                "cluster": AUTHZ_CLUSTER,
                "timeout": "2s",
            },
            "path_prefix": "/authz",
            "authorization_response": {
                "allowed_upstream_headers": {"patterns": [{"exact": PRINCIPAL_HEADER}]},
                "allowed_client_headers": {
                    "patterns": [
                        {"exact": "grpc-status-details-bin"},
                        {"exact": "grpc-message"},
                        {"exact": "content-type"},
                    ]
                },
                "dynamic_metadata_from_headers": {
                    "patterns": [{"exact": AUTHORIZED}, {"exact": SUBJECT}]
                },
            },
        },
    }
    # Enabled only where the header_to_metadata filter before it noted an `x-api-key`.
    authz["filter_enabled_metadata"] = {
        "filter": ACCORD,
        "path": [{"key": "api_key"}],
        "value": {"string_match": {"exact": "present"}},
    }
    return {"name": EXT_AUTHZ, "typed_config": authz}


def _note_api_key() -> Json:
    return {
        "name": "envoy.filters.http.header_to_metadata",
        "typed_config": {
            "@type": _type("extensions.filters.http.header_to_metadata.v3", "Config"),
            "request_rules": [
                {
                    "header": API_KEY,
                    "on_header_present": {
                        "metadata_namespace": ACCORD,
                        "key": "api_key",
                        "value": "present",
                        "type": "STRING",
                    },
                    "remove": False,
                }
            ],
        },
    }


# Routes.


def _route_config(settings: GatewaySettings, routes: RouteTable, clusters: "_Clusters") -> Json:
    entries: list[Json] = []
    for path, method in routes.methods.items():
        entries.append(_method_route(settings, path, method.contract, method.service, clusters))
    control = {"cluster": CONTROL_CLUSTER, "timeout": "0s"}
    for service in (HEALTH, *REFLECTION):
        entries.append(
            {
                "match": {"prefix": f"/{service}/"},
                "route": control,
                "typed_per_filter_config": _unauthenticated_route(),
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
                    {"envoy.filters.http.cors": _cors(settings)}
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
    clusters: "_Clusters",
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
                "@type": _type("extensions.filters.http.jwt_authn.v3", "PerRouteConfig"),
                "requirement_name": "optional",
            },
            **_rbac_per_route(settings, method),
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
        "typed_per_filter_config": _unauthenticated_route(),
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
        "response_headers_to_add": [_header("content-type", "application/json")],
        "typed_per_filter_config": _unauthenticated_route(),
    }


def _unauthenticated_route() -> Json:
    return {
        JWT: {
            "@type": _type("extensions.filters.http.jwt_authn.v3", "PerRouteConfig"),
            "disabled": True,
        },
        RBAC: {"@type": _type("extensions.filters.http.rbac.v3", "RBACPerRoute")},
        RBAC_CAUSE: {"@type": _type("extensions.filters.http.rbac.v3", "RBACPerRoute")},
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


# Authorization: rbac per route, from the method's policy.


def _rbac_per_route(settings: GatewaySettings, method: MethodContract) -> Json:
    policy = method.policy
    auth = settings.auth
    token = _metadata(JWT, [PAYLOAD, "sub"], {"string_match": {"safe_regex": {"regex": ".+"}}})
    typ_ok = _metadata(JWT, [HEADER, "typ"], _one_of(auth.token_types))
    alg_ok = _metadata(JWT, [HEADER, "alg"], _one_of(auth.algorithms))
    api_key = _metadata(EXT_AUTHZ, [AUTHORIZED], {"string_match": {"exact": method.path}})
    sound_token = _and([token, typ_ok, alg_ok])
    shadow: dict[str, Json] = {
        TYPE_RULE: _deny_policy(_and([token, _not(typ_ok)])),
        ALGORITHM_RULE: _deny_policy(_and([token, _not(alg_ok)])),
    }
    if policy is None:
        allowed: list[Json] = []
        shadow = {POLICY_MISSING_RULE: _deny_policy({"any": True})}
    elif policy.public:
        allowed = [_or([_not(token), sound_token])]
    else:
        scopes = [_has_scope(scope) for scope in policy.required_scopes]
        allowed = [_and([sound_token, *scopes]), api_key]
        shadow[CREDENTIALS_RULE] = _deny_policy(_and([_not(token), _not(api_key)]))
        for scope, has in zip(policy.required_scopes, scopes, strict=True):
            shadow[f"{SCOPE_RULE}{scope}"] = _deny_policy(_and([token, _not(has)]))
    rules: Json = {"action": "ALLOW", "policies": {}}
    if allowed:
        rules["policies"]["allow"] = {"permissions": [{"any": True}], "principals": [_or(allowed)]}
    per_route = _type("extensions.filters.http.rbac.v3", "RBACPerRoute")
    return {
        RBAC_CAUSE: {
            "@type": per_route,
            "rbac": {"shadow_rules": {"action": "DENY", "policies": shadow}},
        },
        RBAC: {"@type": per_route, "rbac": {"rules": rules}},
    }


def _has_scope(scope: str) -> Json:
    """The scope is in the token's `scope` (split on spaces) or `scp` claim."""
    match = {"list_match": {"one_of": {"string_match": {"exact": scope}}}}
    return _or([_metadata(JWT, [PAYLOAD, "scope"], match), _metadata(JWT, [PAYLOAD, "scp"], match)])


def _metadata(namespace: str, path: Sequence[str], value: Json) -> Json:
    return {
        "sourced_metadata": {
            "metadata_matcher": {
                "filter": namespace,
                "path": [{"key": part} for part in path],
                "value": value,
            }
        }
    }


def _one_of(values: Iterable[str]) -> Json:
    return {"or_match": {"value_matchers": [{"string_match": {"exact": v}} for v in values]}}


def _and(ids: list[Json]) -> Json:
    return ids[0] if len(ids) == 1 else {"and_ids": {"ids": ids}}


def _or(ids: list[Json]) -> Json:
    return ids[0] if len(ids) == 1 else {"or_ids": {"ids": ids}}


def _not(principal: Json) -> Json:
    return {"not_id": principal}


def _deny_policy(principal: Json) -> Json:
    return {"permissions": [{"any": True}], "principals": [principal]}


# Local replies: Envoy's refusals, given the status and details the contract's clients expect.


def _reply_mappers(settings: GatewaySettings, routes: RouteTable) -> list[Json]:
    mappers: list[Json] = []
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
        # jwt_authn refuses with 401 (403 for an audience); it also notes "Jwt is missing" on
        # every call without a token, which may pass: only its own refusals are mapped here.
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


def _mapper(condition: Json, refusal: Refusal) -> Json:
    """Rewrite a matching local reply: its HTTP status (hence its gRPC code, where the code has
    an HTTP status of its own), its message, and the details it carries."""
    mapper: Json = {
        "filter": condition,
        "body": {"inline_string": refusal.message},
        "headers_to_add": [_header("grpc-status-details-bin", refusal.details_bin())],
        "_refusal": refusal,
    }
    if refusal.code in replies.HTTP_FOR_CODE:
        mapper["status_code"] = refusal.http_status
    return mapper


def _with_json_twins(mappers: list[Json]) -> list[Json]:
    """Each mapper, preceded by its twin for HTTP/JSON calls (the transcoder marks them with
    `x-envoy-original-path`): the same status with a JSON google.rpc.Status body."""
    twins: list[Json] = []
    for mapper in mappers:
        refusal: Refusal = mapper.pop("_refusal")
        twin = {key: value for key, value in mapper.items() if key != "body"}
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


# Clusters.


class _Clusters:
    """One cluster per distinct list of backend addresses, shared by the services on it."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._names: dict[tuple[str, ...], str] = {}

    def add(self, addresses: tuple[str, ...]) -> str:
        return self._names.setdefault(addresses, f"backend_{len(self._names)}")

    def name_of(self, addresses: tuple[str, ...]) -> str:
        return self._names[addresses]

    def rendered(self) -> list[Json]:
        return [self._cluster(name, addresses) for addresses, name in self._names.items()]

    def _cluster(self, name: str, addresses: tuple[str, ...]) -> Json:
        s = self.settings
        endpoints = []
        for address in addresses:
            host, _, port = address.rpartition(":")
            endpoints.append({"endpoint": {"address": _socket(host, int(port))}})
        return {
            "name": name,
            "type": "STRICT_DNS"
            if any(not _is_ip(a.rpartition(":")[0]) for a in addresses)
            else "STATIC",
            "connect_timeout": "1s",
            "lb_policy": "ROUND_ROBIN",
            "typed_extension_protocol_options": _http2_options(),
            "per_connection_buffer_limit_bytes": s.max_send_message_bytes + 65536,
            "circuit_breakers": {
                "thresholds": [
                    {
                        "max_requests": s.max_concurrent_calls,
                        "max_pending_requests": s.max_concurrent_calls,
                        "max_retries": 3,
                    }
                ]
            },
            "health_checks": [
                {
                    "timeout": _duration(s.health_check_timeout_s),
                    "interval": _duration(s.health_check_interval_s),
                    "no_traffic_interval": _duration(s.health_check_interval_s),
                    "unhealthy_threshold": 1,
                    "healthy_threshold": 1,
                    "grpc_health_check": {},
                }
            ],
            "common_lb_config": {"healthy_panic_threshold": {"value": 0}},
            # A backend that refuses connections is taken out at once, before its next check.
            "outlier_detection": {
                "consecutive_local_origin_failure": 1,
                "split_external_local_origin_errors": True,
                "base_ejection_time": _duration(s.health_check_interval_s),
                "max_ejection_percent": 100,
                "enforcing_consecutive_local_origin_failure": 100,
                "consecutive_5xx": 1_000_000,
                "consecutive_gateway_failure": 1_000_000,
            },
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": endpoints}]},
            **({"transport_socket": tls} if (tls := _upstream_tls(s)) is not None else {}),
        }


def _jwks_cluster(settings: GatewaySettings) -> list[Json]:
    """Where Envoy fetches the JWKS from, when it is a URL (https, or http on loopback)."""
    url = settings.auth.jwks_url
    if url is None:
        return []
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    cluster: Json = {
        "name": JWKS_CLUSTER,
        "type": "STATIC" if _is_ip(host) else "LOGICAL_DNS",
        "dns_lookup_family": "V4_PREFERRED",
        "connect_timeout": "5s",
        "load_assignment": {
            "cluster_name": JWKS_CLUSTER,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _socket(host, port)}}]}],
        },
    }
    if parts.scheme == "https":
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": _type("extensions.transport_sockets.tls.v3", "UpstreamTlsContext"),
                "sni": host,
                "common_tls_context": {
                    "validation_context": {
                        "trusted_ca": {"filename": settings.jwks_ca_file},
                        "match_typed_subject_alt_names": [
                            {"san_type": "DNS", "matcher": {"exact": host}}
                        ],
                    }
                },
            },
        }
    return [cluster]


def _control_cluster(name: str, port: int, http2: bool) -> Json:
    cluster: Json = {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": _socket("127.0.0.1", port)}}]}
            ],
        },
    }
    if http2:
        cluster["typed_extension_protocol_options"] = _http2_options()
    return cluster


def _http2_options() -> Json:
    return {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": _type("extensions.upstreams.http.v3", "HttpProtocolOptions"),
            "explicit_http_config": {"http2_protocol_options": {}},
        }
    }


# Small pieces.


def _filter(name: str, package: str, message: str) -> Json:
    return {"name": name, "typed_config": {"@type": _type(package, message)}}


def _cors(settings: GatewaySettings) -> Json:
    """Which web origins may call (gRPC-Web), and what their scripts may send and read."""
    return {
        "@type": _type("extensions.filters.http.cors.v3", "CorsPolicy"),
        "allow_origin_string_match": [
            {"exact": origin} for origin in settings.cors_allowed_origins
        ],
        "allow_methods": "POST, GET, OPTIONS",
        "allow_headers": ", ".join(
            [
                "authorization",
                API_KEY,
                "content-type",
                "grpc-timeout",
                "x-grpc-web",
                "x-user-agent",
                REQUEST_ID,
            ]
        ),
        "expose_headers": ", ".join(
            [
                "grpc-status",
                "grpc-message",
                "grpc-status-details-bin",
                REQUEST_ID,
                "deprecation",
                "sunset",
                "link",
            ]
        ),
        "max_age": "600",
        "allow_credentials": False,
    }


def _router() -> Json:
    return {
        "name": "envoy.filters.http.router",
        "typed_config": {"@type": _type("extensions.filters.http.router.v3", "Router")},
    }


def _type(package: str, message: str) -> str:
    return f"type.googleapis.com/envoy.{package}.{message}"


def _socket(host: str, port: int) -> Json:
    return {"socket_address": {"address": host, "port_value": port}}


def _duration(seconds: float) -> str:
    return f"{seconds:.3f}s"


def _header(key: str, value: str) -> Json:
    return {"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}


def _percent(value: int, runtime_key: str) -> Json:
    return {
        "default_value": {"numerator": value, "denominator": "HUNDRED"},
        "runtime_key": runtime_key,
    }


def _is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+|\[?[0-9a-fA-F:]+\]?", host))
