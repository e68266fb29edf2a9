"""Who calls: a bearer JWT verified by jwt_authn (JWKS file or URL, issuer, audience, lifetime,
a verified-token cache), or an API key the control plane checks (ext_authz, only for calls
that carry one)."""

from accord.identity import PRINCIPAL_HEADER
from gateway.envoy_config.names import (
    ACCORD,
    API_KEY,
    AUTHORIZED,
    AUTHZ_CLUSTER,
    EXT_AUTHZ,
    FAILURE,
    HEADER,
    JWKS_CLUSTER,
    JWT,
    PAYLOAD,
    PROVIDER,
    REQUEST_ID,
    SUBJECT,
)
from gateway.envoy_config.shapes import Json, duration, typed
from gateway.settings import GatewaySettings


def jwt_authn(settings: GatewaySettings) -> Json:
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
        "max_lifetime": duration(auth.max_lifetime_seconds),
        "clock_skew_seconds": auth.leeway_seconds,
        "jwt_cache_config": {"jwt_cache_size": auth.token_cache_size},
    }
    if auth.jwks_url is not None:
        provider["remote_jwks"] = {
            "http_uri": {
                "uri": auth.jwks_url,
                "cluster": JWKS_CLUSTER,
                "timeout": duration(auth.jwks_timeout_seconds),
            },
            "cache_duration": duration(auth.jwks_max_age_seconds),
            "async_fetch": {"fast_listener": False},
            "retry_policy": {"num_retries": 3},
        }
    else:
        assert auth.jwks_file is not None
        provider["local_jwks"] = {"filename": str(auth.jwks_file.resolve())}
    # A token that fails is let through with its failure in metadata, so that the token-reasons
    # filter can name why (token_reasons.py); that filter refuses it, whatever the method.
    optional = {
        "requires_any": {
            "requirements": [{"provider_name": PROVIDER}, {"allow_missing_or_failed": {}}]
        }
    }
    return {
        "name": JWT,
        "typed_config": {
            "@type": typed("extensions.filters.http.jwt_authn.v3", "JwtAuthentication"),
            "providers": {PROVIDER: provider},
            # A call without a token may carry an API key, or call a public method: rbac
            # decides. A token that is there must verify, whatever the method (token_reasons).
            "requirement_map": {"optional": optional},
        },
    }


def note_api_key() -> Json:
    return {
        "name": "envoy.filters.http.header_to_metadata",
        "typed_config": {
            "@type": typed("extensions.filters.http.header_to_metadata.v3", "Config"),
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


def api_key_authz(settings: GatewaySettings) -> Json:
    """ext_authz to the control plane, skipped (a matcher) unless the call has `x-api-key`."""
    authz = {
        "@type": typed("extensions.filters.http.ext_authz.v3", "ExtAuthz"),
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
