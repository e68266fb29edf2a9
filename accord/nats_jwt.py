"""NATS JWTs: the claims an auth callout reads and answers, signed with nkeys.

nats-server asks an auth callout service about each connection with a JWT it signed
(`authorization_request`), and takes as the answer a JWT the configured issuer signed
(`authorization_response`) that carries a user JWT with the connection's permissions. The
format is nats-io/jwt's (v2): a JWT whose algorithm is `ed25519-nkey`, its `iss` the
signer's public nkey, its `jti` a hash of its claims. Written here, on the `nkeys` package,
because no maintained Python library covers these claims: the few on PyPI are young,
unpinned one-person projects, and the format is a hundred lines.
"""

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import nkeys
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

_HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}
VERSION = 2


class InvalidJwt(ValueError):
    """A token that is not a NATS JWT signed by who it says."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidJwt(f"not base64url: {error}") from None


def encode(claims: Mapping[str, Any], seed: str) -> str:
    """`claims` signed by the nkey `seed`: `iss`, `iat` and `jti` filled in."""
    signer = nkeys.from_seed(seed.encode())
    body = {**claims, "iss": signer.public_key.decode(), "iat": int(time.time())}
    body.pop("jti", None)
    digest = hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).digest()
    body["jti"] = base64.b32encode(digest).decode().rstrip("=")
    header = _b64(json.dumps(_HEADER, separators=(",", ":")).encode())
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    signature: bytes = signer.sign(f"{header}.{payload}".encode())
    return f"{header}.{payload}.{_b64(signature)}"


def decode(token: str) -> dict[str, Any]:
    """The claims of `token`, once its signature by its `iss` is checked."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidJwt("a JWT has three parts")
    header = json.loads(_unb64(parts[0]))
    if header.get("alg") not in ("ed25519-nkey", "ed25519"):
        raise InvalidJwt(f"algorithm {header.get('alg')!r} is not ed25519-nkey")
    claims: dict[str, Any] = json.loads(_unb64(parts[1]))
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise InvalidJwt("no issuer")
    try:
        VerifyKey(_raw_public_key(issuer)).verify(
            f"{parts[0]}.{parts[1]}".encode(), _unb64(parts[2])
        )
    except BadSignatureError:
        raise InvalidJwt(f"not signed by {issuer}") from None
    return claims


def _raw_public_key(public_key: str) -> bytes:
    """The 32 bytes of an encoded public nkey (prefix byte, key, CRC-16), checked."""
    try:
        raw = base64.b32decode(public_key + "=" * (-len(public_key) % 8))
    except binascii.Error:
        raise InvalidJwt(f"{public_key!r} is not an nkey") from None
    if len(raw) != 35 or not nkeys.valid_public_prefix_byte(raw[0]):
        raise InvalidJwt(f"{public_key!r} is not a public nkey")
    body, checksum = raw[:-2], int.from_bytes(raw[-2:], "little")
    if nkeys.crc16(bytearray(body)) != checksum:
        raise InvalidJwt(f"{public_key!r} fails its checksum")
    return raw[1:33]


def user_claims(
    user_nkey: str,
    *,
    name: str,
    account: str,
    publish: Sequence[str],
    subscribe: Sequence[str],
    expires_in: int | None = None,
) -> dict[str, Any]:
    """A user JWT's claims: who, in which account, allowed to do what (denied the rest)."""
    claims: dict[str, Any] = {
        "sub": user_nkey,
        "name": name,
        "aud": account,
        "nats": {
            "pub": {"allow": list(publish)},
            "sub": {"allow": list(subscribe)},
            "subs": -1,
            "data": -1,
            "payload": -1,
            "type": "user",
            "version": VERSION,
        },
    }
    if expires_in is not None:
        claims["exp"] = int(time.time()) + expires_in
    return claims


def authorization_response(
    user_nkey: str, server_id: str, *, user_jwt: str | None = None, error: str | None = None
) -> dict[str, Any]:
    """The answer to one authorization request: a user JWT, or why not."""
    nats: dict[str, Any] = {"type": "authorization_response", "version": VERSION}
    if user_jwt is not None:
        nats["jwt"] = user_jwt
    if error is not None:
        nats["error"] = error
    return {"sub": user_nkey, "aud": server_id, "nats": nats}
