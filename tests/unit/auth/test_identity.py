"""The principal header: signed by the gateway, checked by services with the public key only."""

import json
from pathlib import Path

import grpc
import pytest
from joserfc.jwk import OKPKey

from accord.auth import IDENTITY_HEADERS, Principal, PrincipalSigner
from accord.identity import (
    PRINCIPAL_HEADER,
    IdentityError,
    PrincipalVerifier,
    verify_principal,
)
from accord.tooling import devkeys
from tests.unit.auth.conftest import NOW, Clock

ORDERS = "acme.orders.v1.OrderService"
ALICE = Principal("alice", frozenset({"orders:read", "orders:write"}), "jwt")


@pytest.fixture(scope="module")
def gateway_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", auto_kid=True)


@pytest.fixture(scope="module")
def public_key(gateway_key: OKPKey) -> OKPKey:
    return OKPKey.import_key(gateway_key.as_dict(private=False))


@pytest.fixture
def signer(gateway_key: OKPKey, clock: Clock) -> PrincipalSigner:
    return PrincipalSigner(gateway_key, ttl=60, clock=clock)


def refusal(metadata: list[tuple[str, str]], service: str, key: OKPKey, now: float) -> str:
    with pytest.raises(IdentityError) as caught:
        verify_principal(metadata, service, key, now=now)
    return caught.value.reason


def test_round_trip(signer: PrincipalSigner, public_key: OKPKey) -> None:
    headers = signer.headers(ALICE, ORDERS)
    assert [name for name, _ in headers] == [PRINCIPAL_HEADER]
    assert verify_principal(headers, ORDERS, public_key, now=NOW) == ALICE


def test_header_for_another_service_is_refused(signer: PrincipalSigner, public_key: OKPKey) -> None:
    headers = signer.headers(ALICE, "acme.billing.v1.BillingService")
    assert refusal(headers, ORDERS, public_key, NOW) == "PRINCIPAL_WRONG_AUDIENCE"


def test_expired_header_is_refused(signer: PrincipalSigner, public_key: OKPKey) -> None:
    headers = signer.headers(ALICE, ORDERS)
    assert verify_principal(headers, ORDERS, public_key, now=NOW + 64) == ALICE  # within leeway
    assert refusal(headers, ORDERS, public_key, NOW + 66) == "PRINCIPAL_EXPIRED"


def test_header_forged_with_another_key_is_refused(public_key: OKPKey, clock: Clock) -> None:
    forger = PrincipalSigner(OKPKey.generate_key("Ed25519", auto_kid=True), clock=clock)
    headers = forger.headers(Principal("mallory", frozenset({"orders:admin"}), "jwt"), ORDERS)
    assert refusal(headers, ORDERS, public_key, NOW) == "PRINCIPAL_BAD_SIGNATURE"


def test_edited_claims_are_refused(signer: PrincipalSigner, public_key: OKPKey) -> None:
    ((_, value),) = signer.headers(ALICE, ORDERS)
    header, payload, signature = value.split(".")
    forged = f"{header}.{payload[:-2]}AA.{signature}"
    assert refusal([(PRINCIPAL_HEADER, forged)], ORDERS, public_key, NOW) in {
        "PRINCIPAL_BAD_SIGNATURE",
        "PRINCIPAL_MALFORMED",
    }


@pytest.mark.parametrize("value", ["", "garbage", "a.b.c"])
def test_garbage_header_is_refused(public_key: OKPKey, value: str) -> None:
    assert refusal([(PRINCIPAL_HEADER, value)], ORDERS, public_key, NOW) == "PRINCIPAL_MALFORMED"


def test_two_principal_headers_are_refused(signer: PrincipalSigner, public_key: OKPKey) -> None:
    headers = signer.headers(ALICE, ORDERS) * 2
    assert refusal(headers, ORDERS, public_key, NOW) == "PRINCIPAL_MALFORMED"


def test_no_header_is_none(public_key: OKPKey) -> None:
    assert verify_principal([("x-request-id", "1")], ORDERS, public_key, now=NOW) is None


def test_signing_is_cached_for_half_the_lifetime(signer: PrincipalSigner, clock: Clock) -> None:
    first = signer.headers(ALICE, ORDERS)
    assert signer.headers(ALICE, ORDERS) == first
    assert signer.signatures == 1
    signer.headers(ALICE, "acme.orders.v2.OrderService")  # another audience, another header
    signer.headers(Principal("bob", frozenset(), "jwt"), ORDERS)
    assert signer.signatures == 3
    clock.now += 30
    assert signer.headers(ALICE, ORDERS) != first
    assert signer.signatures == 4


def test_signer_refuses_a_public_key(public_key: OKPKey) -> None:
    with pytest.raises(ValueError, match="private"):
        PrincipalSigner(public_key)


def _verifier_of(key_file: Path, key: OKPKey, private: bool, clock: Clock) -> PrincipalVerifier:
    """A verifier for orders that reads `key` (its private half too, if `private`) from a file."""
    key_file.write_text(json.dumps(key.as_dict(private=private)))
    return PrincipalVerifier(ORDERS, key_file=key_file, clock=clock)


def test_verifier_caches_and_reads_the_public_key_file(
    tmp_path: Path, signer: PrincipalSigner, gateway_key: OKPKey, clock: Clock
) -> None:
    verifier = _verifier_of(tmp_path / "principal.pub.jwk", gateway_key, False, clock)
    headers = signer.headers(ALICE, ORDERS)
    for _ in range(3):
        assert verifier.verify(headers) == ALICE
    assert verifier.verifications == 1
    clock.now += 66  # cached entries expire with the header
    with pytest.raises(IdentityError):
        verifier.verify(headers)


def test_verifier_never_keeps_a_private_half(
    tmp_path: Path, signer: PrincipalSigner, gateway_key: OKPKey, clock: Clock
) -> None:
    verifier = _verifier_of(tmp_path / "principal.jwk", gateway_key, True, clock)
    assert verifier.verify(signer.headers(ALICE, ORDERS)) == ALICE
    assert not verifier._load_key().is_private


def test_dev_public_key_file_cannot_sign(tmp_path: Path) -> None:
    devkeys.ensure_principal_key(tmp_path)
    public = json.loads(devkeys.principal_public_key_path(tmp_path).read_text())
    assert "d" not in public
    with pytest.raises(ValueError, match="private"):
        PrincipalSigner(OKPKey.import_key(public))


def test_identity_headers_include_ours_and_common_proxy_names() -> None:
    assert {PRINCIPAL_HEADER, "x-forwarded-user", "x-user-id"} <= IDENTITY_HEADERS
    assert all(name == name.lower() for name in IDENTITY_HEADERS)


def test_missing_public_key_file_is_unavailable(tmp_path: Path, signer: PrincipalSigner) -> None:
    verifier = PrincipalVerifier(ORDERS, key_file=tmp_path / "absent.jwk")
    assert verifier.verify([]) is None  # no header: the key is not even needed
    with pytest.raises(IdentityError) as caught:
        verifier.verify(signer.headers(ALICE, ORDERS))
    assert (caught.value.code, caught.value.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "PRINCIPAL_KEY_UNAVAILABLE",
    )
