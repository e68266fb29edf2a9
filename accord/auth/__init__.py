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

from accord.auth._authenticator import CREDENTIAL_HEADERS, Authenticator
from accord.auth._authorize import MethodPolicy, authorize, needs_request
from accord.auth._errors import AuthFailure
from accord.auth._signer import IDENTITY_HEADERS, PrincipalSigner
from accord.auth.settings import AuthSettings
from accord.identity import Principal

__all__ = [
    "CREDENTIAL_HEADERS",
    "IDENTITY_HEADERS",
    "AuthFailure",
    "AuthSettings",
    "Authenticator",
    "MethodPolicy",
    "Principal",
    "PrincipalSigner",
    "authorize",
    "needs_request",
]
