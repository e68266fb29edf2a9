"""Devices as NATS identities: the service answers the server's auth callout.

When its owner claims a device, the service issues it a secret (`Registry.issue_secret`)
and keeps only its hash. The device connects with its id as user and the secret as
password; the server, configured by `accord.tooling.nats_config` to ask the holder of the devices'
issuer key about every connection that is not a service's, sends the request here
(`$SYS.REQ.USER.AUTH`). The answer is a user JWT, signed with the issuer key, whose
permissions are generated from asyncapi/thermostat.yaml with `deviceId` bound to the
device's own id (`accord.nats_permissions.device_permissions`): it may publish its own
reports and read its own schedules, and nothing else. Anything else (no such device, a
wrong secret, a request the server did not sign) is refused with a reason the server logs.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass, field

from acme_events.thermostat import CONTRACT as THERMOSTAT
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from accord import nats_jwt
from accord.nats_auth import inbox_prefix
from accord.nats_permissions import AUTH_CALLOUT, device_permissions, member_identity
from services.devices.registry import Registry

_log = logging.getLogger("services.devices.identities")

FLEET = "thermostat"
# Users that an auth callout creates live in the account of the callout: in a server
# configuration without accounts, the global one.
ACCOUNT = "$G"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def device_inbox(device_id: str) -> str:
    return inbox_prefix(member_identity(FLEET, device_id))


@dataclass(slots=True)
class DeviceAuthorizer:
    """Answers the server's authorization requests for devices, signing with `issuer_seed`."""

    nc: NatsClient
    registry: Registry
    issuer_seed: str
    _subscription: Subscription | None = field(default=None, init=False)

    async def start(self) -> None:
        self._subscription = await self.nc.subscribe(AUTH_CALLOUT, cb=self._answer)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _answer(self, msg: Msg) -> None:
        try:
            request = nats_jwt.decode(msg.data.decode())
        except (ValueError, UnicodeDecodeError) as invalid:
            _log.warning("refused an authorization request that does not verify: %s", invalid)
            return  # nothing to answer to: only the server sends these
        nats = request.get("nats") or {}
        user_nkey = str(nats.get("user_nkey", ""))
        server_id = str((nats.get("server_id") or {}).get("id", ""))
        if request.get("iss") != server_id:
            _log.warning("refused an authorization request not signed by its server")
            return
        options = nats.get("connect_opts") or nats.get("client_opts") or {}
        device_id, secret = str(options.get("user") or ""), str(options.get("pass") or "")
        claims = None
        error = await self._refusal(device_id, secret)
        if error is None:
            permissions = device_permissions(FLEET, THERMOSTAT, device_id)
            claims = nats_jwt.user_claims(
                user_nkey,
                name=member_identity(FLEET, device_id),
                account=ACCOUNT,
                publish=permissions.publish,
                subscribe=permissions.subscribe,
            )
        user_jwt = nats_jwt.encode(claims, self.issuer_seed) if claims else None
        response = nats_jwt.authorization_response(
            user_nkey, server_id, user_jwt=user_jwt, error=error
        )
        await msg.respond(nats_jwt.encode(response, self.issuer_seed).encode())

    async def _refusal(self, device_id: str, secret: str) -> str | None:
        """Why the device may not connect, or None when it may."""
        if not device_id or not secret:
            return "a device connects with its id and secret"
        try:
            device = await self.registry.find(device_id)
        except Exception as error:  # a malformed id, or the bucket unreachable
            _log.warning("device %r not authorized: %r", device_id, error)
            return "unknown device or wrong secret"
        stored = device.secret_hash if device is not None else None
        if stored is None or not hmac.compare_digest(stored, secret_hash(secret)):
            return "unknown device or wrong secret"
        return None
