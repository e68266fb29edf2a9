"""Bearer tokens: one good token, and every way a token can be bad, each with its own reason."""

import hashlib
import hmac
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from joserfc import jws
from joserfc.jwk import Key, RSAKey

from accord.auth import Authenticator, AuthFailure, Principal
from accord.auth._jwks import Jwks
from tests.unit.auth.conftest import (
    AUDIENCE,
    NOW,
    Clock,
    TokenFactory,
    b64,
    bearer,
    claims,
    make_authenticator,
    segment,
    write_jwks,
)


async def refused(authenticator: Authenticator, value: str) -> AuthFailure:
    with pytest.raises(AuthFailure) as caught:
        await authenticator.authenticate(bearer(value))
    return caught.value


async def test_valid_token_gives_principal_with_scopes(
    authenticator: Authenticator, token: TokenFactory
) -> None:
    principal = await authenticator.authenticate(bearer(token(scp=["orders:admin"])))
    assert principal == Principal(
        "alice", frozenset({"orders:read", "orders:write", "orders:admin"}), "jwt"
    )


@pytest.mark.parametrize(
    ("alg", "key"), [("RS256", "rsa-1"), ("EdDSA", "ed-1"), ("Ed25519", "ed-1")]
)
async def test_each_allowed_algorithm_verifies(
    authenticator: Authenticator, token: TokenFactory, alg: str, key: str
) -> None:
    principal = await authenticator.authenticate(bearer(token(alg=alg, key=key)))
    assert principal is not None
    assert principal.subject == "alice"


async def test_audience_list_containing_ours_is_accepted(
    authenticator: Authenticator, token: TokenFactory
) -> None:
    principal = await authenticator.authenticate(bearer(token(aud=["other", AUDIENCE])))
    assert principal is not None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(NOW) - 31}, "TOKEN_EXPIRED"),
        ({"nbf": int(NOW) + 31}, "TOKEN_NOT_YET_VALID"),
        ({"iat": int(NOW) + 3600}, "TOKEN_NOT_YET_VALID"),
        ({"iss": "https://evil.test"}, "BAD_ISSUER"),
        ({"iss": None}, "BAD_ISSUER"),
        ({"aud": "someone-else"}, "BAD_AUDIENCE"),
        ({"aud": ["a", "b"]}, "BAD_AUDIENCE"),
        ({"aud": None}, "BAD_AUDIENCE"),
        ({"exp": None}, "MISSING_CLAIM"),
        ({"sub": None}, "MISSING_CLAIM"),
        ({"sub": ""}, "MISSING_CLAIM"),
        ({"exp": "tomorrow"}, "MALFORMED_TOKEN"),
        ({"scope": 42}, "MALFORMED_TOKEN"),
        ({"scp": [1, 2]}, "MALFORMED_TOKEN"),
    ],
)
async def test_bad_claims_are_unauthenticated_with_reason(
    authenticator: Authenticator, token: TokenFactory, overrides: dict[str, object], reason: str
) -> None:
    failure = await refused(authenticator, token(**overrides))
    assert failure.code == grpc.StatusCode.UNAUTHENTICATED
    assert failure.reason == reason


@pytest.mark.parametrize("overrides", [{"exp": int(NOW) - 29}, {"nbf": int(NOW) + 29}])
async def test_leeway_allows_small_clock_skew(
    authenticator: Authenticator, token: TokenFactory, overrides: dict[str, object]
) -> None:
    assert await authenticator.authenticate(bearer(token(**overrides))) is not None


async def test_signature_by_an_untrusted_key_with_a_trusted_kid(
    authenticator: Authenticator, token: TokenFactory
) -> None:
    failure = await refused(authenticator, token(key="stranger"))
    assert failure.reason == "BAD_SIGNATURE"


async def test_tampered_payload_breaks_the_signature(
    authenticator: Authenticator, token: TokenFactory
) -> None:
    header, _, signature = token().split(".")
    forged = f"{header}.{segment(claims(sub='mallory'))}.{signature}"
    assert (await refused(authenticator, forged)).reason == "BAD_SIGNATURE"


async def test_alg_none_is_refused(authenticator: Authenticator) -> None:
    unsigned = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims())}."
    failure = await refused(authenticator, unsigned)
    assert failure.reason == "ALGORITHM_NOT_ALLOWED"


async def test_hs256_signed_with_the_rsa_public_key_is_refused(
    authenticator: Authenticator, keys: dict[str, Key]
) -> None:
    rsa = keys["rsa-1"]
    assert isinstance(rsa, RSAKey)
    # The classic confusion attack: the public PEM, which anyone can fetch, as an HMAC secret.
    signing_input = f"{segment({'alg': 'HS256', 'kid': 'rsa-1'})}.{segment(claims())}"
    secret = rsa.as_pem(private=False)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    failure = await refused(authenticator, f"{signing_input}.{b64(mac)}")
    assert failure.reason == "ALGORITHM_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("alg", "kid"), [("ES256", "rsa-1"), ("RS256", "es-1"), ("EdDSA", "es-1"), ("ES256", "ed-1")]
)
async def test_algorithm_must_match_the_type_of_the_named_key(
    authenticator: Authenticator, token: TokenFactory, alg: str, kid: str
) -> None:
    # A token whose header names a key that cannot verify its algorithm never gets to the
    # signature check, whatever the signature is.
    _, payload, signature = token().split(".")
    relabeled = f"{segment({'alg': alg, 'kid': kid})}.{payload}.{signature}"
    assert (await refused(authenticator, relabeled)).reason == "ALGORITHM_NOT_ALLOWED"


@pytest.mark.parametrize(
    "garbage",
    [
        "garbage",
        "a.b.c",
        "a.b",
        "....",
        f"{segment({'kid': 'es-1'})}.{segment(claims())}.AAAA",  # no alg
        "ünïcödé.x.y",
    ],
)
async def test_garbage_is_malformed(authenticator: Authenticator, garbage: str) -> None:
    failure = await refused(authenticator, garbage)
    assert (failure.code, failure.reason) == (grpc.StatusCode.UNAUTHENTICATED, "MALFORMED_TOKEN")


async def test_signed_payload_that_is_not_json_is_malformed(
    authenticator: Authenticator, keys: dict[str, Key]
) -> None:
    value = jws.serialize_compact({"alg": "ES256", "kid": "es-1"}, b"not json", keys["es-1"])
    assert (await refused(authenticator, value)).reason == "MALFORMED_TOKEN"


async def test_unknown_kid(authenticator: Authenticator, token: TokenFactory) -> None:
    _, payload, signature = token().split(".")
    renamed = f"{segment({'alg': 'ES256', 'kid': 'nobody'})}.{payload}.{signature}"
    assert (await refused(authenticator, renamed)).reason == "UNKNOWN_KEY_ID"


@pytest.mark.parametrize(
    "metadata",
    [
        (("authorization", "Basic YWxpY2U6c2VjcmV0"),),
        (("authorization", "Bearer "),),
        (("authorization", "Bearer " + "x" * 9000),),
    ],
)
async def test_bad_authorization_headers(
    authenticator: Authenticator, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(AuthFailure) as caught:
        await authenticator.authenticate(metadata)
    assert caught.value.reason == "MALFORMED_TOKEN"


async def test_no_credentials_is_none(authenticator: Authenticator) -> None:
    assert await authenticator.authenticate((("x-request-id", "abc"),)) is None


async def test_two_credentials_are_refused(
    authenticator: Authenticator, token: TokenFactory
) -> None:
    metadata = (*bearer(token()), ("x-api-key", "ak_x_y"))
    with pytest.raises(AuthFailure) as caught:
        await authenticator.authenticate(metadata)
    assert caught.value.reason == "AMBIGUOUS_CREDENTIALS"


async def test_failure_is_a_status_with_error_info_and_no_internals(
    authenticator: Authenticator, token: TokenFactory
) -> None:
    failure = await refused(authenticator, token(exp=int(NOW) - 3600))
    status = failure.to_status()
    assert status.code == grpc.StatusCode.UNAUTHENTICATED
    trailer = dict(status.trailing_metadata)["grpc-status-details-bin"]
    proto = status_pb2.Status.FromString(trailer)
    info = error_details_pb2.ErrorInfo()
    assert proto.details[0].Unpack(info)
    assert (info.reason, info.domain) == ("TOKEN_EXPIRED", "accord.dev")
    assert "Traceback" not in status.details
    assert "joserfc" not in status.details


async def test_verified_tokens_are_cached_until_they_expire(
    authenticator: Authenticator, token: TokenFactory, clock: Clock
) -> None:
    value = token(exp=int(NOW) + 60)
    for _ in range(5):
        await authenticator.authenticate(bearer(value))
    assert authenticator.verifications == 1
    clock.now += 60 + 30  # past exp plus the leeway
    with pytest.raises(AuthFailure) as caught:
        await authenticator.authenticate(bearer(value))
    assert caught.value.reason == "TOKEN_EXPIRED"
    assert authenticator.verifications == 2


async def test_token_cache_is_bounded(jwks_file: Path, clock: Clock, token: TokenFactory) -> None:
    authenticator = make_authenticator(Jwks.from_file(jwks_file, clock=clock), clock, cache_size=2)
    first, second, third = (token(sub=name) for name in ("a", "b", "c"))
    for value in (first, second, third, first):
        await authenticator.authenticate(bearer(value))
    assert authenticator.verifications == 4  # `first` was evicted by `third`


async def test_failures_are_not_cached(authenticator: Authenticator, token: TokenFactory) -> None:
    value = token(iss="https://evil.test")
    for _ in range(2):
        await refused(authenticator, value)
    assert authenticator.verifications == 2


async def test_jwks_file_is_reloaded_on_unknown_kid_at_most_once_per_interval(
    tmp_path: Path, keys: dict[str, Key], clock: Clock, token: TokenFactory
) -> None:
    path = write_jwks(tmp_path / "jwks.json", keys["es-1"])
    jwks = Jwks.from_file(path, min_refresh=30, clock=clock)
    authenticator = make_authenticator(jwks, clock)
    assert await authenticator.authenticate(bearer(token())) is not None
    assert jwks.loads == 1

    write_jwks(path, keys["es-1"], keys["rsa-1"])  # the issuer rotates in a new key
    clock.now += 31
    assert await authenticator.authenticate(bearer(token(alg="RS256", key="rsa-1"))) is not None
    assert jwks.loads == 2

    write_jwks(path, keys["es-1"], keys["rsa-1"], keys["ed-1"])
    clock.now += 1  # too soon after the last load: no reload, the kid stays unknown
    assert (await refused(authenticator, token(alg="EdDSA", key="ed-1"))).reason == (
        "UNKNOWN_KEY_ID"
    )
    assert jwks.loads == 2
    clock.now += 30
    assert await authenticator.authenticate(bearer(token(alg="EdDSA", key="ed-1"))) is not None
    assert jwks.loads == 3


async def test_missing_jwks_is_unavailable_not_unauthenticated(
    tmp_path: Path, clock: Clock, token: TokenFactory
) -> None:
    authenticator = make_authenticator(Jwks.from_file(tmp_path / "absent.json", clock=clock), clock)
    failure = await refused(authenticator, token())
    assert (failure.code, failure.reason) == (grpc.StatusCode.UNAVAILABLE, "KEYS_UNAVAILABLE")
