"""The control plane's one job on the call path: compile contracts + settings into Envoy's config.

`compile_config` renders, in one pass, a static Envoy bootstrap (JSON) from the route table
(`routes.py`: services, methods, shapes, policies and lifecycles from the contracts image) and
`GatewaySettings`. The same inputs give the same bytes: `accord gateway config` prints it and
`envoy --mode validate` checks it. Nothing in it is edited by hand.

Where a call goes, in Envoy's filter order (HTTP connection manager, then):
0. browsers' filters (CORS, gRPC-Web, the HTTP/JSON transcoder); a client's `x-request-id`
   that is not 1 to 128 visible characters is replaced with a fresh one (`request_ids.py`);
1. `header_mutation` strips every identity header a client may forge (`IDENTITY_HEADERS`);
2. `local_ratelimit` (per peer address) spends a token before any credential is looked at;
3. `jwt_authn` verifies a bearer JWT against the JWKS (file or URL; issuer, audience, max
   lifetime, verified-token cache) and puts its header and payload (scopes split) in metadata;
   a token that fails is refused by the token-reasons filter, which only such calls run and
   which names an algorithm off the list or a lifetime too long (`token_reasons.py`);
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

Each part is written by a module of `gateway/envoy_config/`, one idea each:
- `listener.py`: the listeners and the HTTP connection manager (HTTP/2, TLS, access log);
- `filters.py`: the filter chain in the order above;
- `authentication.py`: jwt_authn and the API-key check (ext_authz);
- `token_reasons.py`: why a token failed, where jwt_authn cannot say (Lua, failed calls only);
- `request_ids.py`: a fresh id for a client's invalid `x-request-id`;
- `authorization.py`: rbac from each method's policy, and the rules that name a refusal's cause;
- `rate_limits.py`: the token buckets;
- `browsers.py`: the HTTP/JSON transcoder and CORS for gRPC-Web;
- `route_config.py`: a route per method, lifecycle headers, direct answers for what is not served;
- `clusters.py`: backends, the JWKS URL, the control plane;
- `local_replies.py`: Envoy's refusals given their google.rpc.Status details;
- `names.py` and `shapes.py`: the names the parts share and Envoy's JSON shapes.
"""

from gateway.envoy_config.clusters import Clusters, control_cluster, jwks_cluster
from gateway.envoy_config.listener import edge_listener, metrics_listener
from gateway.envoy_config.names import ADMIN_CLUSTER, AUTHZ_CLUSTER, CONTROL_CLUSTER
from gateway.envoy_config.ports import Ports
from gateway.envoy_config.shapes import Json, socket_address, typed
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings

__all__ = ["Json", "Ports", "compile_config"]


def compile_config(settings: GatewaySettings, routes: RouteTable, ports: Ports) -> Json:
    """Envoy's bootstrap for `routes` under `settings`; see the module docstring."""
    clusters = Clusters(settings)
    for service in routes.services.values():
        clusters.add(service.addresses)
    listeners = [edge_listener(settings, routes, clusters, ports)]
    if ports.metrics_port is not None:
        listeners.append(metrics_listener(settings, ports.metrics_port))
    return {
        "node": {"id": "accord-edge", "cluster": "accord"},
        "admin": {"address": socket_address("127.0.0.1", ports.admin_port)},
        "static_resources": {
            "listeners": listeners,
            "clusters": [
                *clusters.rendered(),
                *jwks_cluster(settings),
                control_cluster(CONTROL_CLUSTER, ports.control_port, http2=True),
                control_cluster(AUTHZ_CLUSTER, ports.authz_port, http2=False),
                control_cluster(ADMIN_CLUSTER, ports.admin_port, http2=False),
            ],
        },
        "overload_manager": {
            "resource_monitors": [
                {
                    # An edge: bound the connections one Envoy holds open.
                    "name": "envoy.resource_monitors.global_downstream_max_connections",
                    "typed_config": {
                        "@type": typed(
                            "extensions.resource_monitors.downstream_connections.v3",
                            "DownstreamConnectionsConfig",
                        ),
                        "max_active_downstream_connections": 50_000,
                    },
                }
            ]
        },
    }
