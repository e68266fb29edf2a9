"""The gateway's authentication, authorization and principal header.

    principal = await authenticator.authenticate(metadata)   # None: no credentials
    if needs_request(method, principal):
        request = decode(...)                                 # only for owner checks
    authorize(method, principal, request)                     # AuthFailure when refused
    forwarded = [m for m in metadata if m[0] not in IDENTITY_HEADERS | CREDENTIAL_HEADERS]
    forwarded += signer.headers(principal, method.service)    # when principal is not None

Every refusal is an `AuthFailure`, an `accord.rpc_status.RpcError` carrying an ErrorInfo:
send it with `accord.rpc_status.abort(context, failure)`.
"""

from accord.identity import Principal
from gateway.auth._authenticator import CREDENTIAL_HEADERS, Authenticator
from gateway.auth._authorize import authorize, needs_request
from gateway.auth._errors import AuthFailure
from gateway.auth._signer import IDENTITY_HEADERS, PrincipalSigner
from gateway.auth.settings import AuthSettings

__all__ = [
    "CREDENTIAL_HEADERS",
    "IDENTITY_HEADERS",
    "AuthFailure",
    "AuthSettings",
    "Authenticator",
    "Principal",
    "PrincipalSigner",
    "authorize",
    "needs_request",
]
