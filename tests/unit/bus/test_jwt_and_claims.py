"""NATS JWTs signed with nkeys, and devices' claim codes."""

import pytest

from accord import nats_jwt
from accord.nats_auth import public_key
from accord.tooling.nats_identities import new_account_seed, new_user_seed
from services.devices import claims


def test_a_jwt_carries_its_issuer_and_verifies() -> None:
    seed = new_account_seed()
    token = nats_jwt.encode({"sub": "U1", "nats": {"type": "user"}}, seed)
    claims_ = nats_jwt.decode(token)
    assert claims_["iss"] == public_key(seed)
    assert claims_["sub"] == "U1"
    assert claims_["jti"]


def test_a_changed_or_resigned_jwt_is_refused() -> None:
    token = nats_jwt.encode({"sub": "U1"}, new_account_seed())
    header, payload, signature = token.split(".")
    forged = nats_jwt.encode({"sub": "U2"}, new_user_seed()).split(".")[1]
    with pytest.raises(nats_jwt.InvalidJwt, match="not signed by"):
        nats_jwt.decode(f"{header}.{forged}.{signature}")
    with pytest.raises(nats_jwt.InvalidJwt):
        nats_jwt.decode(f"{header}.{payload}")


def test_a_claim_code_matches_its_device_only() -> None:
    key = bytes(range(32))
    code = claims.claim_code(key, "hall-1")
    assert len(code) == 19
    assert code.count("-") == 3
    assert claims.matches(key, "hall-1", code)
    assert claims.matches(key, "hall-1", code.lower().replace("-", " "))
    assert not claims.matches(key, "hall-2", code)
    assert not claims.matches(bytes(32), "hall-1", code)
    assert not claims.matches(key, "hall-1", "")
