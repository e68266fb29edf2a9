"""The names the parts of the configuration refer to each other by: filters, the metadata
they leave for later filters, rbac's cause rules, clusters."""

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
# Where the token-reasons filter names why jwt_authn refused a token (under ACCORD), when
# jwt_authn's own message cannot tell: an algorithm not allowed, a lifetime too long.
TOKEN_REASON = "token_reason"
# jwt_authn's failure message for a call that carries no token (which may pass).
JWT_MISSING = "Jwt is missing"
