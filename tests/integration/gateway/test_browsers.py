"""Browsers through the edge: gRPC-Web over HTTP/1.1, and CORS for the origins configured.

The same authentication, scopes and lifecycle headers apply as to gRPC; a refusal is a
gRPC-Web status with the same google.rpc.Status details.
"""

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2

from tests.integration.gateway.conftest import StartGateway, token
from tests.integration.gateway.echo_backend import EchoBackend

pytestmark = pytest.mark.integration

ORIGIN = "https://app.example.com"
Types = tuple[Any, Any]


def grpc_web_body(message: bytes) -> bytes:
    return b"\x00" + len(message).to_bytes(4, "big") + message


def parse_grpc_web(body: bytes) -> tuple[list[bytes], dict[str, str]]:
    """Messages and trailers of a gRPC-Web answer (trailers: a frame flagged 0x80)."""
    messages, trailers = [], {}
    while body:
        flag, size = body[0], int.from_bytes(body[1:5], "big")
        frame, body = body[5 : 5 + size], body[5 + size :]
        if flag & 0x80:
            for line in frame.decode().split("\r\n"):
                if line:
                    key, _, value = line.partition(":")
                    trailers[key.strip().lower()] = value.strip()
        else:
            messages.append(frame)
    return messages, trailers


@pytest.fixture
async def web_gateway(start_gateway: StartGateway, backend: EchoBackend) -> str:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, cors_allowed_origins=[ORIGIN]
    )
    return f"http://127.0.0.1:{gateway.port}"


async def call(base: str, path: str, body: bytes, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{base}{path}",
            content=grpc_web_body(body),
            headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1", **headers},
        )


async def test_a_grpc_web_call_is_answered_with_its_trailers(
    web_gateway: str, echo_types: Types, auth_home: Path
) -> None:
    request, response = echo_types
    bearer = f"Bearer {token(auth_home, 'alice', 'echo:read')}"
    answer = await call(
        web_gateway,
        "/accordtest.echo.v2.EchoService/Echo",
        request(text="from a browser").SerializeToString(),
        authorization=bearer,
        origin=ORIGIN,
    )
    assert answer.status_code == 200
    messages, trailers = parse_grpc_web(answer.content)
    assert trailers.get("grpc-status", answer.headers.get("grpc-status")) == "0"
    assert response.FromString(messages[0]).text == "from a browser"
    assert answer.headers["deprecation"] == "@1793491200"  # v2 is deprecated
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "grpc-status-details-bin" in answer.headers["access-control-expose-headers"]


async def test_a_grpc_web_call_without_credentials_gets_the_same_refusal(
    web_gateway: str, echo_types: Types
) -> None:
    request, _ = echo_types
    answer = await call(
        web_gateway, "/accordtest.echo.v3.EchoService/Secret", request().SerializeToString()
    )
    assert answer.headers["grpc-status"] == "16"
    packed = answer.headers["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(base64.b64decode(packed + "=" * (-len(packed) % 4)))
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "CREDENTIALS_REQUIRED"


async def test_cors_preflight_answers_configured_origins_only(web_gateway: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        preflight = {
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type,x-grpc-web",
        }
        allowed = await client.options(
            f"{web_gateway}/accordtest.echo.v3.EchoService/Echo",
            headers={"origin": ORIGIN, **preflight},
        )
        stranger = await client.options(
            f"{web_gateway}/accordtest.echo.v3.EchoService/Echo",
            headers={"origin": "https://evil.example", **preflight},
        )
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in stranger.headers
