"""Authorization from the contract: the method policy decides, nothing is configured twice.

Order of checks, so each refusal has one cause: no policy (deny by default), public, no
credentials, missing scopes, then the owner check. Public methods need no credentials, but the
proxy authenticates first, so a bad token is refused even on a public method: a client that
sends credentials learns they are bad instead of silently calling anonymously.
"""

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from accord.auth._errors import (
    CREDENTIALS_REQUIRED,
    MISSING_SCOPE,
    NOT_OWNER,
    POLICY_MISSING,
    AuthFailure,
    permission_denied,
    unauthenticated,
)
from accord.descriptors import MethodContract
from accord.identity import Principal


def authorize(method: MethodContract, principal: Principal | None, request: Message | None) -> None:
    """Allow the call or raise AuthFailure. `request` is needed only when `needs_request` says so.

    For a client-streaming method with an owner field, call this for every request message.
    """
    MethodPolicy(method).authorize(principal, request)


def needs_request(method: MethodContract, principal: Principal | None) -> bool:
    """Whether `authorize` will read the request: there is an owner field, the caller holds the
    required scopes but not the admin scope. Only then need the proxy decode the request."""
    return MethodPolicy(method).needs_request(principal)


class MethodPolicy:
    """One method's policy, read once: `authorize` and `needs_request` for calls of that method.

    The proxy builds one per method when it starts, so a call costs a frozenset comparison,
    not a walk over the policy message."""

    __slots__ = ("_admin_scope", "_method", "_owner_field", "_policy", "_required", "_unchecked")

    def __init__(self, method: MethodContract) -> None:
        policy = method.policy
        self._method = method
        self._policy = policy
        # No policy (refused) or public (allowed): neither reads the principal or the request.
        self._unchecked = policy is None or policy.public
        self._required = frozenset(policy.required_scopes) if policy is not None else frozenset()
        self._owner_field = policy.owner_field if policy is not None else ""
        self._admin_scope = policy.admin_scope if policy is not None else ""

    def authorize(self, principal: Principal | None, request: Message | None) -> None:
        """Allow the call or raise AuthFailure (see the module-level `authorize`)."""
        policy = self._policy
        if policy is None:
            method = self._method
            raise permission_denied(
                POLICY_MISSING, f"{method.full_name} has no access policy", method=method.full_name
            )
        if self._unchecked:
            return
        if principal is None:
            raise unauthenticated(
                CREDENTIALS_REQUIRED, "this method needs a bearer token or an API key"
            )
        if not self._required <= principal.scopes:
            missing = sorted(self._required - principal.scopes)
            raise permission_denied(
                MISSING_SCOPE,
                f"missing scope {missing[0]}"
                if len(missing) == 1
                else f"missing scopes {' '.join(missing)}",
                scope=missing[0],
                missing_scopes=" ".join(missing),
            )
        if not self._owner_check_applies(principal):
            return
        if request is None:
            # The proxy should have decoded the request (needs_request said so): fail closed.
            raise AuthFailure(
                grpc.StatusCode.INTERNAL, "OWNER_CHECK_FAILED", "the request could not be checked"
            )
        owner_field = self._owner_field
        field = request.DESCRIPTOR.fields_by_name.get(owner_field)
        # The same answer for every refusal, whatever the record or the field holds, so a caller
        # learns nothing about other customers' records.
        if (
            field is None
            or field.type != FieldDescriptor.TYPE_STRING
            or getattr(request, owner_field) != principal.subject
        ):
            raise permission_denied(
                NOT_OWNER,
                f"{owner_field} must name the caller",
                field=owner_field,
            )

    def authorize_caller(self, principal: Principal | None) -> None:
        """Every check that needs no request: policy, credentials, scopes (a client stream's
        messages then go through `authorize` one by one, for the owner check)."""
        if self._owner_field:
            if self._unchecked or principal is None or not self._required <= principal.scopes:
                self.authorize(principal, None)
            return
        self.authorize(principal, None)

    def needs_request(self, principal: Principal | None) -> bool:
        """Whether `authorize` will read the request (see the module-level `needs_request`)."""
        if self._unchecked or principal is None or not self._owner_field:
            return False
        if not self._required <= principal.scopes:
            return False
        return self._owner_check_applies(principal)

    def _owner_check_applies(self, principal: Principal) -> bool:
        if not self._owner_field:
            return False
        admin = self._admin_scope
        return not (admin and admin in principal.scopes)
