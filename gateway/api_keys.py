"""API keys at the edge: Envoy's ext_authz asks the control plane, only for calls with `x-api-key`.

Envoy has an `api_key_auth` filter, but it compares keys in clear from its configuration; ours
are stored only as SHA-256 digests (`accord/auth/_api_keys.py`), so Envoy asks here instead
(ext_authz over HTTP/1.1 on loopback, keep-alive). A call with a JWT never comes here.

The answer to `<METHOD> /authz/<grpc path>` with the call's `x-api-key` and `authorization`:
- 200 with `x-accord-principal` (the principal signed for the called service, which Envoy
  adds to the upstream call), and `x-accord-authorized: <grpc path>` and `x-accord-subject`
  (which Envoy keeps as metadata for rbac, the rate limit and the access log);
- 401 or 403 with `grpc-message` and `grpc-status-details-bin`, which Envoy sends the client.
The method's scopes are checked here; its owner field is the service's to check (the body is
not read at the edge).
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import h11

from accord.auth import Authenticator, AuthFailure, PrincipalSigner
from accord.auth._errors import (
    AMBIGUOUS_CREDENTIALS,
    MISSING_SCOPE,
    POLICY_MISSING,
    permission_denied,
    unauthenticated,
)
from accord.identity import Principal
from accord.rpc_status import RpcError
from gateway.envoy_config.names import AUTHORIZED, SUBJECT
from gateway.replies import HTTP_FOR_CODE, Refusal, percent_encoded
from gateway.routes import MethodRoute, RouteTable

log = logging.getLogger(__name__)

PREFIX = b"/authz"
MAX_HEADERS = 16 * 1024


@dataclass(frozen=True, slots=True)
class ApiKeyAuthz:
    """The decision for one call: headers to answer 200 with, or the refusal."""

    routes: RouteTable
    keys: Authenticator
    signer: PrincipalSigner

    async def decide(
        self, path: str, api_keys: Sequence[str], bearer: Sequence[str]
    ) -> list[tuple[str, str]]:
        """Headers for an allowed call; raises RpcError for a refused one."""
        method = self.routes.methods.get(path)
        if method is None:
            return []  # not a served method: the route refuses it, naming what is served
        if bearer:
            raise unauthenticated(
                AMBIGUOUS_CREDENTIALS, "send one credential: a bearer token or an API key"
            )
        principal = await self.keys.authenticate_credentials([], api_keys)
        assert principal is not None  # api_keys is not empty: ext_authz runs only then
        check_scopes(method, principal)
        return [
            self.signer.header(principal, method.service.name),
            (AUTHORIZED, path),
            (SUBJECT, principal.subject),
        ]


def check_scopes(method: MethodRoute, principal: Principal) -> None:
    policy = method.contract.policy
    if policy is None:
        raise permission_denied(
            POLICY_MISSING, "the method has no access policy", method=method.contract.full_name
        )
    if policy.public:
        return
    missing = sorted(set(policy.required_scopes) - principal.scopes)
    if missing:
        raise permission_denied(
            MISSING_SCOPE,
            f"missing scope {missing[0]}",
            scope=missing[0],
            missing_scopes=" ".join(missing),
        )


class AuthzServer:
    """A small HTTP/1.1 server (h11 over asyncio streams) answering Envoy's ext_authz checks."""

    def __init__(self, authz: ApiKeyAuthz) -> None:
        self.authz = authz
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._connection, host, port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADERS)
        try:
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    connection.receive_data(data)
                    if not data:
                        return
                    continue
                if isinstance(event, h11.Request):
                    writer.write(await self._answer(connection, event))
                    await writer.drain()
                elif isinstance(event, h11.EndOfMessage):
                    if connection.our_state is h11.DONE and connection.their_state is h11.DONE:
                        connection.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                    return
        except (h11.RemoteProtocolError, ConnectionError):
            return
        finally:
            writer.close()

    async def _answer(self, connection: h11.Connection, request: h11.Request) -> bytes:
        path = request.target.split(b"?", 1)[0]
        api_keys = [v.decode("latin-1") for k, v in request.headers if k == b"x-api-key"]
        bearer = [v.decode("latin-1") for k, v in request.headers if k == b"authorization"]
        status, headers = 200, []
        try:
            if not path.startswith(PREFIX):
                raise ValueError(path)
            headers = await self.authz.decide(path[len(PREFIX) :].decode(), api_keys, bearer)
        except (AuthFailure, RpcError) as error:
            refusal = Refusal(error)
            status = HTTP_FOR_CODE.get(error.code, 403)
            headers = [
                ("grpc-message", percent_encoded(refusal.message)),
                ("grpc-status-details-bin", refusal.details_bin()),
            ]
            body = refusal.message.encode()
        except Exception:
            log.exception("API-key check failed")
            status, body = 503, b"the API-key check failed"
        else:
            body = b""
        response = h11.Response(
            status_code=status,
            headers=[*headers, ("content-length", str(len(body)))],
        )
        return (
            connection.send(response)
            + connection.send(h11.Data(data=body))
            + connection.send(h11.EndOfMessage())
        )


__all__ = ["ApiKeyAuthz", "AuthzServer", "check_scopes"]
