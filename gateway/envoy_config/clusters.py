"""Where calls go: a cluster per distinct list of backends (round robin, gRPC health checks,
a circuit breaker, mutual TLS when configured), the JWKS URL's, and the control plane's."""

from urllib.parse import urlsplit

from gateway.envoy_config.names import JWKS_CLUSTER
from gateway.envoy_config.shapes import Json, certificate, duration, is_ip, socket_address, typed
from gateway.settings import GatewaySettings


class Clusters:
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
            endpoints.append({"endpoint": {"address": socket_address(host, int(port))}})
        return {
            "name": name,
            "type": "STRICT_DNS"
            if any(not is_ip(a.rpartition(":")[0]) for a in addresses)
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
                    "timeout": duration(s.health_check_timeout_s),
                    "interval": duration(s.health_check_interval_s),
                    "no_traffic_interval": duration(s.health_check_interval_s),
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
                "base_ejection_time": duration(s.health_check_interval_s),
                "max_ejection_percent": 100,
                "enforcing_consecutive_local_origin_failure": 100,
                "consecutive_5xx": 1_000_000,
                "consecutive_gateway_failure": 1_000_000,
            },
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": endpoints}]},
            **({"transport_socket": tls} if (tls := _upstream_tls(s)) is not None else {}),
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
            certificate(settings.upstream_tls_cert_file, settings.upstream_tls_key_file)
        ]
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": typed("extensions.transport_sockets.tls.v3", "UpstreamTlsContext"),
            "common_tls_context": context,
        },
    }


def jwks_cluster(settings: GatewaySettings) -> list[Json]:
    """Where Envoy fetches the JWKS from, when it is a URL (https, or http on loopback)."""
    url = settings.auth.jwks_url
    if url is None:
        return []
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    cluster: Json = {
        "name": JWKS_CLUSTER,
        "type": "STATIC" if is_ip(host) else "LOGICAL_DNS",
        "dns_lookup_family": "V4_PREFERRED",
        "connect_timeout": "5s",
        "load_assignment": {
            "cluster_name": JWKS_CLUSTER,
            "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": socket_address(host, port)}}]}
            ],
        },
    }
    if parts.scheme == "https":
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": typed("extensions.transport_sockets.tls.v3", "UpstreamTlsContext"),
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


def control_cluster(name: str, port: int, http2: bool) -> Json:
    cluster: Json = {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": socket_address("127.0.0.1", port)}}]}
            ],
        },
    }
    if http2:
        cluster["typed_extension_protocol_options"] = _http2_options()
    return cluster


def _http2_options() -> Json:
    return {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": typed("extensions.upstreams.http.v3", "HttpProtocolOptions"),
            "explicit_http_config": {"http2_protocol_options": {}},
        }
    }
