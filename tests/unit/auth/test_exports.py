"""Growing the public API is a deliberate act: `__all__` lists exactly what is exported."""

import accord.auth

PUBLIC = {
    "AuthFailure",
    "AuthSettings",
    "Authenticator",
    "CREDENTIAL_HEADERS",
    "IDENTITY_HEADERS",
    "MethodPolicy",
    "Principal",
    "PrincipalSigner",
    "authorize",
    "needs_request",
}


def test_all_is_the_public_api() -> None:
    assert set(accord.auth.__all__) == PUBLIC
    public_names = {
        name for name in vars(accord.auth) if not name.startswith("_") and name not in {"settings"}
    }
    assert public_names == PUBLIC
