"""The edge's listeners: the HTTP connection manager every call enters (HTTP/2 settings,
request ids, the filter chain, the routes, local replies, the access log), TLS for clients, and
Prometheus metrics on a listener of its own."""

from gateway.envoy_config.clusters import Clusters
from gateway.envoy_config.filters import http_filters
from gateway.envoy_config.local_replies import reply_mappers
from gateway.envoy_config.names import ADMIN_CLUSTER, EXT_AUTHZ, JWT, PAYLOAD, REQUEST_ID, SUBJECT
from gateway.envoy_config.ports import Ports
from gateway.envoy_config.route_config import route_config
from gateway.envoy_config.shapes import Json, certificate, duration, router, socket_address, typed
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings


def edge_listener(
    settings: GatewaySettings, routes: RouteTable, clusters: Clusters, ports: Ports
) -> Json:
    host = settings.listen.rpartition(":")[0] or "127.0.0.1"
    manager = {
        "@type": typed(
            "extensions.filters.network.http_connection_manager.v3", "HttpConnectionManager"
        ),
        "stat_prefix": "edge",
        "codec_type": "AUTO",
        "generate_request_id": True,
        "preserve_external_request_id": True,
        "always_set_request_id_in_response": True,
        "use_remote_address": True,
        "stream_idle_timeout": "0s",
        "common_http_protocol_options": {"idle_timeout": duration(settings.max_connection_idle_s)},
        "request_headers_timeout": duration(settings.request_headers_timeout_s),
        "http2_protocol_options": _http2_protections(settings),
        "route_config": route_config(settings, routes, clusters),
        "http_filters": http_filters(settings, routes),
        "local_reply_config": {"mappers": reply_mappers(settings, routes)},
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
                "@type": typed("extensions.transport_sockets.tls.v3", "DownstreamTlsContext"),
                "common_tls_context": {
                    "alpn_protocols": ["h2", "http/1.1"],
                    "tls_params": {"tls_minimum_protocol_version": "TLSv1_2"},
                    "tls_certificates": [
                        certificate(settings.tls_cert_file, settings.tls_key_file)
                    ],
                },
            },
        }
    return {
        "name": "edge",
        "address": socket_address(host, ports.listen_port),
        "per_connection_buffer_limit_bytes": settings.max_receive_message_bytes + 65536,
        "filter_chains": [chain],
    }


def _http2_protections(settings: GatewaySettings) -> Json:
    """HTTP/2 as an edge needs it, each protection explicit: keepalive pings (an unanswered
    one closes the connection), a cap on concurrent streams, and Envoy's flood mitigations,
    which close a connection (counted in `http2.outbound_control_flood` and
    `http2.outbound_flood`, `http2.inbound_*` stats) whose peer sends PINGs, SETTINGS or
    RST_STREAMs faster than it reads the answers, empty frames in a row, or PRIORITY and
    WINDOW_UPDATE frames far beyond what a client needs. Where the Python gateway counted
    ping strikes, Envoy bounds what such a peer can make it queue: README, "HTTP/2 abuse"."""
    return {
        "connection_keepalive": {
            "interval": duration(settings.keepalive_time_s),
            "timeout": duration(settings.keepalive_timeout_s),
        },
        "max_concurrent_streams": 1024,
        "max_outbound_frames": 10_000,
        "max_outbound_control_frames": settings.http2_max_outbound_control_frames,
        "max_consecutive_inbound_frames_with_empty_payload": 1,
        "max_inbound_priority_frames_per_stream": 100,
        "max_inbound_window_update_frames_per_data_frame_sent": 10,
    }


def metrics_listener(settings: GatewaySettings, port: int) -> Json:
    """Prometheus on `metrics_listen`: `/metrics` is Envoy's `/stats/prometheus`, nothing else
    of the admin endpoint is reachable through it."""
    host = settings.metrics_listen.rpartition(":")[0] or "127.0.0.1"
    route = {
        "match": {"path": "/metrics"},
        "route": {"cluster": ADMIN_CLUSTER, "prefix_rewrite": "/stats/prometheus"},
    }
    manager = {
        "@type": typed(
            "extensions.filters.network.http_connection_manager.v3", "HttpConnectionManager"
        ),
        "stat_prefix": "metrics",
        "route_config": {
            "virtual_hosts": [{"name": "metrics", "domains": ["*"], "routes": [route]}]
        },
        "http_filters": [router()],
    }
    return {
        "name": "metrics",
        "address": socket_address(host, port),
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
            "@type": typed("extensions.access_loggers.file.v3", "FileAccessLog"),
            "path": path,
        }
    else:
        kind = {"@type": typed("extensions.access_loggers.stream.v3", "StdoutAccessLog")}
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
