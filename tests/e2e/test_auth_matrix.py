"""Every method of every routed contract, twice: through the edge (Envoy) to the real services,
and straight at each service's own port, where its contract-enforcement interceptor answers.

The matrix comes from the compiled contracts (gen/python/contracts.binpb): a method added to
a contract is covered here without editing this test.
- no credentials → UNAUTHENTICATED (unless the method is public);
- a valid token missing one required scope → PERMISSION_DENIED naming that scope;
- a token naming someone else in the owner field → PERMISSION_DENIED NOT_OWNER;
- the right scopes → the call reaches the service (whatever the service then answers).
"""

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.rpc import error_details_pb2

from accord.descriptors import MethodContract, load_image, services_in
from accord.rpc_status import reason_of
from accord.tooling.services import discover_services
from gateway.routes import descriptor_pool_of
from tests.e2e.conftest import Platform
from tests.support.contracts import raw_call
from tests.support.status import detail

pytestmark = pytest.mark.e2e

IMAGE = load_image()
# Refusals the gateway makes before a call reaches a service.
GATEWAY_REFUSALS = {
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.UNAVAILABLE,
}


def _served_methods() -> list[MethodContract]:
    served = {name for service in discover_services() for name in service.services}
    return [
        method
        for service in services_in(IMAGE)
        if service.full_name in served
        for method in service.methods
    ]


METHODS = _served_methods()


def _request_bytes(method: MethodContract, owner: str) -> bytes:
    """An empty request, except the owner field, which names `owner`."""
    pool: descriptor_pool.DescriptorPool = descriptor_pool_of(IMAGE)
    request = message_factory.GetMessageClass(pool.FindMessageTypeByName(method.input_type))()
    if method.policy is not None and method.policy.owner_field:
        setattr(request, method.policy.owner_field, owner)
    data: bytes = request.SerializeToString()
    return data


def _name(method: MethodContract) -> str:
    return method.full_name


def _policies_with(attribute: str) -> list[MethodContract]:
    """The methods whose policy sets `attribute` (required_scopes, owner_field)."""
    return [m for m in METHODS if m.policy is not None and getattr(m.policy, attribute)]


@pytest.fixture(params=["edge", "direct"])
def path(request: pytest.FixtureRequest) -> str:
    """Through the edge, or straight at the service's port."""
    return str(request.param)


def _address(platform: Platform, method: MethodContract, path: str) -> str:
    return platform.address if path == "edge" else platform.service_address(method.service)


async def _call(
    platform: Platform,
    method: MethodContract,
    token: str | None,
    path: str = "edge",
    owner: str = "matrix-user",
) -> grpc.StatusCode:
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    body = _request_bytes(method, owner)
    async with grpc.aio.insecure_channel(_address(platform, method, path)) as channel:
        try:
            call = raw_call(channel, method, body, metadata, timeout=5)
            if method.server_streaming:
                await call.read()
                call.cancel()
            else:
                await call
        except grpc.aio.AioRpcError as error:
            _last_error[method.path] = error
            return error.code()
    return grpc.StatusCode.OK


_last_error: dict[str, grpc.aio.AioRpcError] = {}


def _token(platform: Platform, *scopes: str) -> str:
    return platform.token("matrix-user", *scopes)


@pytest.mark.parametrize("method", METHODS, ids=_name)
async def test_no_credentials(platform: Platform, method: MethodContract, path: str) -> None:
    assert method.policy is not None, f"{method.full_name} has no policy"
    code = await _call(platform, method, None, path)
    if method.policy.public:
        assert code not in GATEWAY_REFUSALS
    else:
        assert code == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("method", _policies_with("required_scopes"), ids=_name)
async def test_each_missing_scope_is_named(
    platform: Platform, method: MethodContract, path: str
) -> None:
    assert method.policy is not None
    scopes = list(method.policy.required_scopes)
    for missing in scopes:
        held = [scope for scope in scopes if scope != missing]
        code = await _call(platform, method, _token(platform, *held), path)
        assert code == grpc.StatusCode.PERMISSION_DENIED
        info = detail(_last_error[method.path], error_details_pb2.ErrorInfo)
        assert info.reason == "MISSING_SCOPE"
        assert missing in info.metadata.values()


@pytest.mark.parametrize("method", METHODS, ids=_name)
async def test_the_right_scopes_reach_the_service(
    platform: Platform, method: MethodContract, path: str
) -> None:
    assert method.policy is not None
    code = await _call(platform, method, _token(platform, *method.policy.required_scopes), path)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        # A service may refuse a caller for a reason of its own (SendNotification takes only
        # services); the gateway's refusals name a missing scope or the owner.
        error = _last_error[method.path]
        assert reason_of(error) not in {"MISSING_SCOPE", "NOT_OWNER", ""}, error
    else:
        assert code not in GATEWAY_REFUSALS, _last_error.get(method.path)


@pytest.mark.parametrize("method", _policies_with("owner_field"), ids=_name)
async def test_someone_elses_owner_field_is_refused(
    platform: Platform, method: MethodContract, path: str
) -> None:
    assert method.policy is not None
    token = _token(platform, *method.policy.required_scopes)
    code = await _call(platform, method, token, path, owner="someone-else")
    assert code == grpc.StatusCode.PERMISSION_DENIED, _last_error.get(method.path)
    info = detail(_last_error[method.path], error_details_pb2.ErrorInfo)
    assert info.reason == "NOT_OWNER"
