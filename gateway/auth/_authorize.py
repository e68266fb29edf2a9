"""Authorization from the contract: the method policy decides, nothing is configured twice.

Order of checks, so each refusal has one cause: no policy (deny by default), public, no
credentials, missing scopes, then the owner check. Public methods need no credentials, but the
proxy authenticates first, so a bad token is refused even on a public method: a client that
sends credentials learns they are bad instead of silently calling anonymously.
"""

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from accord.contracts.descriptors import MethodContract
from accord.identity import Principal
from gateway.auth._errors import (
    CREDENTIALS_REQUIRED,
    MISSING_SCOPE,
    NOT_OWNER,
    POLICY_MISSING,
    AuthFailure,
    permission_denied,
    unauthenticated,
)


def authorize(method: MethodContract, principal: Principal | None, request: Message | None) -> None:
    """Allow the call or raise AuthFailure. `request` is needed only when `needs_request` says so.

    For a client-streaming method with an owner field, call this for every request message.
    """
    policy = method.policy
    if policy is None:
        raise permission_denied(
            POLICY_MISSING, f"{method.full_name} has no access policy", method=method.full_name
        )
    if policy.public:
        return
    if principal is None:
        raise unauthenticated(
            CREDENTIALS_REQUIRED, "this method needs a bearer token or an API key"
        )
    missing = sorted(set(policy.required_scopes) - principal.scopes)
    if missing:
        raise permission_denied(
            MISSING_SCOPE,
            f"missing scope {missing[0]}"
            if len(missing) == 1
            else f"missing scopes {' '.join(missing)}",
            scope=missing[0],
            missing_scopes=" ".join(missing),
        )
    if not _owner_check_applies(method, principal):
        return
    if request is None:
        # The proxy should have decoded the request (needs_request said so): fail closed.
        raise AuthFailure(
            grpc.StatusCode.INTERNAL, "OWNER_CHECK_FAILED", "the request could not be checked"
        )
    field = request.DESCRIPTOR.fields_by_name.get(policy.owner_field)
    # The same answer for every refusal, whatever the record or the field holds, so a caller
    # learns nothing about other customers' records.
    if (
        field is None
        or field.type != FieldDescriptor.TYPE_STRING
        or getattr(request, policy.owner_field) != principal.subject
    ):
        raise permission_denied(
            NOT_OWNER,
            f"{policy.owner_field} must name the caller",
            field=policy.owner_field,
        )


def needs_request(method: MethodContract, principal: Principal | None) -> bool:
    """Whether `authorize` will read the request: there is an owner field, the caller holds the
    required scopes but not the admin scope. Only then need the proxy decode the request."""
    policy = method.policy
    if policy is None or policy.public or principal is None:
        return False
    if not set(policy.required_scopes) <= principal.scopes:
        return False
    return _owner_check_applies(method, principal)


def _owner_check_applies(method: MethodContract, principal: Principal) -> bool:
    policy = method.policy
    assert policy is not None
    if not policy.owner_field:
        return False
    return not (policy.admin_scope and policy.admin_scope in principal.scopes)
