"""A JWKS URL: fetched from a real HTTP server on loopback, off the event loop, and refreshed."""

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from joserfc.jwk import Key

from accord.auth import AuthFailure
from accord.auth._jwks import Jwks
from accord.ports import free_port
from tests.unit.auth.conftest import Clock, TokenFactory, bearer, make_authenticator


class JwksServer:
    """Serves `document` at /jwks.json and counts requests; `gate` can hold a response."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.requests = 0
        self.gate: threading.Event | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                if owner.gate is not None and not owner.gate.wait(timeout=2):
                    self.send_error(503)
                    return
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def publish(self, *keys: Key) -> None:
        self.document = {"keys": [key.as_dict(private=False) for key in keys]}


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join(timeout=5)


async def test_fetches_then_refreshes_on_unknown_kid_rate_limited(
    jwks_server: JwksServer, keys: dict[str, Key], clock: Clock, token: TokenFactory
) -> None:
    jwks_server.publish(keys["es-1"])
    jwks = Jwks.from_url(jwks_server.url, timeout=5, min_refresh=30, clock=clock)
    authenticator = make_authenticator(jwks, clock)

    assert await authenticator.authenticate(bearer(token())) is not None
    assert await authenticator.authenticate(bearer(token(sub="bob"))) is not None
    assert jwks_server.requests == 1  # cached

    jwks_server.publish(keys["es-1"], keys["rsa-1"])
    clock.now += 31
    principal = await authenticator.authenticate(bearer(token(alg="RS256", key="rsa-1")))
    assert principal is not None
    assert jwks_server.requests == 2

    # Made-up kids do not make the gateway hammer the issuer.
    for _ in range(5):
        with pytest.raises(AuthFailure) as caught:
            await authenticator.authenticate(bearer(token(alg="EdDSA", key="ed-1")))
        assert caught.value.reason == "UNKNOWN_KEY_ID"
    assert jwks_server.requests == 2


async def test_fetch_does_not_block_the_event_loop(
    jwks_server: JwksServer, keys: dict[str, Key], clock: Clock, token: TokenFactory
) -> None:
    # The server answers only after another coroutine has run: were the fetch made on the
    # event loop, that coroutine could not run, and the fetch would fail after 2 s.
    jwks_server.publish(keys["es-1"])
    gate = threading.Event()
    jwks_server.gate = gate
    authenticator = make_authenticator(Jwks.from_url(jwks_server.url, clock=clock), clock)

    async def open_gate() -> None:
        await asyncio.sleep(0.05)
        gate.set()

    opener = asyncio.create_task(open_gate())
    principal = await authenticator.authenticate(bearer(token()))
    await opener
    assert principal is not None


async def test_concurrent_misses_share_one_fetch(
    jwks_server: JwksServer, keys: dict[str, Key], clock: Clock, token: TokenFactory
) -> None:
    jwks_server.publish(keys["es-1"])
    # No rate limit here, so only the single-flight lock keeps this to one fetch.
    jwks = Jwks.from_url(jwks_server.url, min_refresh=0, clock=clock)
    authenticator = make_authenticator(jwks, clock)
    values = [token(sub=f"user{n}") for n in range(10)]
    results = await asyncio.gather(*(authenticator.authenticate(bearer(v)) for v in values))
    assert all(result is not None for result in results)
    assert jwks_server.requests == 1


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/jwks.json"  # nothing listens there


@pytest.mark.parametrize("broken", ["not a jwks", "nobody listening"])
async def test_jwks_that_cannot_be_loaded_is_unavailable(
    jwks_server: JwksServer, clock: Clock, token: TokenFactory, broken: str
) -> None:
    url = jwks_server.url
    if broken == "not a jwks":
        jwks_server.document = {"not": "a jwks"}
    else:
        url = closed_port_url()
    authenticator = make_authenticator(Jwks.from_url(url, timeout=2, clock=clock), clock)
    with pytest.raises(AuthFailure) as caught:
        await authenticator.authenticate(bearer(token()))
    assert (caught.value.code, caught.value.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "KEYS_UNAVAILABLE",
    )
