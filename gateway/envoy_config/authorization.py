"""Authorization from the contract: rbac rules per route from each method's policy, and the
shadow rules that name why a call would be refused (for the local replies' details)."""

from collections.abc import Iterable, Sequence

from accord.descriptors import MethodContract
from gateway.envoy_config.names import (
    ALGORITHM_RULE,
    AUTHORIZED,
    CREDENTIALS_RULE,
    EXT_AUTHZ,
    FAILURE,
    HEADER,
    JWT,
    JWT_MISSING,
    PAYLOAD,
    POLICY_MISSING_RULE,
    RBAC,
    RBAC_CAUSE,
    SCOPE_RULE,
    TYPE_RULE,
)
from gateway.envoy_config.shapes import Json, typed
from gateway.settings import GatewaySettings


def rbac_per_route(settings: GatewaySettings, method: MethodContract) -> Json:
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
        # Anyone, but not with a token that failed (the token-reasons filter refuses one
        # before rbac; this holds should that filter be missing).
        failed = _and(
            [
                _metadata(JWT, [FAILURE, "message"], {"present_match": True}),
                _not(
                    _metadata(JWT, [FAILURE, "message"], {"string_match": {"exact": JWT_MISSING}})
                ),
            ]
        )
        allowed = [_or([_and([_not(token), _not(failed)]), sound_token])]
    else:
        scopes = [_has_scope(scope) for scope in policy.required_scopes]
        allowed = [_and([sound_token, *scopes]), api_key]
        shadow[CREDENTIALS_RULE] = _deny_policy(_and([_not(token), _not(api_key)]))
        for scope, has in zip(policy.required_scopes, scopes, strict=True):
            shadow[f"{SCOPE_RULE}{scope}"] = _deny_policy(_and([token, _not(has)]))
    rules: Json = {"action": "ALLOW", "policies": {}}
    if allowed:
        rules["policies"]["allow"] = {"permissions": [{"any": True}], "principals": [_or(allowed)]}
    per_route = typed("extensions.filters.http.rbac.v3", "RBACPerRoute")
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
