"""The edge's control plane (`python -m gateway`): Envoy carries every call; this package
compiles the contracts into its configuration and serves what Envoy cannot.

Where to look:
- `config.py` renders Envoy's whole configuration from the route table (`routes.py`: services,
  methods, policies and lifecycles from the contracts image; backends from settings) and the
  settings (`settings.py`), from parts written by `envoy_config/` (one module per idea: the
  listener, the filter chain, authentication, rbac from each policy, rate limits, browsers,
  routes, clusters, local replies);
- `replies.py` holds the edge's own refusals (google.rpc.Status details, computed ahead);
- `server.py` starts the control plane's servers and Envoy (`envoy.py`) on that configuration;
- `api_keys.py` answers Envoy's ext_authz checks for calls with an API key;
- `health.py` (following `backends.py`) and `reflection.py` answer grpc.health.v1 and server
  reflection through the edge.
"""
