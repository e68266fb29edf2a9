"""Authorization from the contract, including a matrix over every method the contracts define."""

import grpc
import pytest
from accordapis.options.v1 import policy_pb2
from acme.orders.v1 import orders_pb2
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from accord.auth import AuthFailure, Principal, authorize, needs_request
from accord.descriptors import MethodContract, load_image, services_in

IMAGE = load_image()
ALL_METHODS = [method for service in services_in(IMAGE) for method in service.methods]
POOL = descriptor_pool.DescriptorPool()
for _file in IMAGE.file:  # the image lists every file after its imports
    POOL.Add(_file)
PLACE_ORDER = next(
    m for m in ALL_METHODS if m.full_name == "acme.orders.v1.OrderService.PlaceOrder"
)
GET_ORDER = next(m for m in ALL_METHODS if m.full_name == "acme.orders.v1.OrderService.GetOrder")


def method(policy: policy_pb2.MethodPolicy | None) -> MethodContract:
    return MethodContract(
        "acme.test.v1.TestService", "Call", "acme.test.v1.CallRequest", "acme.test.v1.CallResponse",
        False, False, policy,
    )  # fmt: skip


def alice(*scopes: str) -> Principal:
    return Principal("alice", frozenset(scopes), "jwt")


def refusal(
    contract: MethodContract, principal: Principal | None, request: Message | None
) -> AuthFailure:
    with pytest.raises(AuthFailure) as caught:
        authorize(contract, principal, request)
    return caught.value


def test_method_without_policy_is_denied() -> None:
    failure = refusal(method(None), alice("anything"), None)
    assert (failure.code, failure.reason) == (grpc.StatusCode.PERMISSION_DENIED, "POLICY_MISSING")


def test_public_method_needs_no_credentials() -> None:
    authorize(method(policy_pb2.MethodPolicy(public=True)), None, None)


def test_scoped_method_without_credentials_is_unauthenticated() -> None:
    failure = refusal(method(policy_pb2.MethodPolicy(required_scopes=["a"])), None, None)
    assert (failure.code, failure.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIALS_REQUIRED",
    )


def test_every_scope_is_required_and_the_missing_one_is_named() -> None:
    contract = method(policy_pb2.MethodPolicy(required_scopes=["orders:read", "orders:write"]))
    authorize(contract, alice("orders:read", "orders:write", "extra"), None)
    failure = refusal(contract, alice("orders:read"), None)
    assert (failure.code, failure.reason) == (grpc.StatusCode.PERMISSION_DENIED, "MISSING_SCOPE")
    assert failure.metadata["scope"] == "orders:write"
    assert "orders:write" in failure.message


def test_owner_may_act_on_own_records() -> None:
    principal = alice("orders:write")
    assert needs_request(PLACE_ORDER, principal)
    authorize(PLACE_ORDER, principal, orders_pb2.PlaceOrderRequest(customer_id="alice"))


def test_someone_elses_record_gets_the_same_answer_every_time() -> None:
    principal = alice("orders:write")
    answers = {
        (f.code, f.reason, f.message, tuple(sorted(f.metadata.items())), str(f.to_status()))
        for customer in ("bob", "carol", "no-such-customer", "")
        for f in [
            refusal(PLACE_ORDER, principal, orders_pb2.PlaceOrderRequest(customer_id=customer))
        ]
    }
    assert len(answers) == 1
    code, reason, message, *_ = answers.pop()
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_OWNER")
    assert "bob" not in message


def test_admin_scope_bypasses_the_owner_check_without_decoding() -> None:
    admin = alice("orders:write", "orders:admin")
    assert not needs_request(PLACE_ORDER, admin)
    authorize(PLACE_ORDER, admin, None)
    authorize(PLACE_ORDER, admin, orders_pb2.PlaceOrderRequest(customer_id="bob"))


def test_needs_request_only_when_an_owner_check_will_run() -> None:
    assert not needs_request(GET_ORDER, alice("orders:read"))  # no owner field
    assert not needs_request(PLACE_ORDER, None)  # refused before any decode
    assert not needs_request(PLACE_ORDER, alice("orders:read"))  # refused for the scope first
    assert not needs_request(method(None), alice())


def test_owner_check_without_the_request_fails_closed() -> None:
    failure = refusal(PLACE_ORDER, alice("orders:write"), None)
    assert failure.code == grpc.StatusCode.INTERNAL


# The matrix: every method of every contract, so a new method is covered without a new test.


def request_of(contract: MethodContract, owner: str) -> Message:
    descriptor = POOL.FindMessageTypeByName(contract.input_type)
    request = message_factory.GetMessageClass(descriptor)()
    assert contract.policy is not None
    if contract.policy.owner_field:
        setattr(request, contract.policy.owner_field, owner)
    return request


@pytest.mark.parametrize("contract", ALL_METHODS, ids=lambda m: m.full_name)
def test_matrix_no_credentials(contract: MethodContract) -> None:
    assert contract.policy is not None, "make lint refuses a method without a policy"
    if contract.policy.public:
        authorize(contract, None, None)
    else:
        assert refusal(contract, None, None).code == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("contract", ALL_METHODS, ids=lambda m: m.full_name)
def test_matrix_right_scopes_pass(contract: MethodContract) -> None:
    assert contract.policy is not None
    principal = alice(*contract.policy.required_scopes)
    request = request_of(contract, "alice") if needs_request(contract, principal) else None
    authorize(contract, principal, request)


@pytest.mark.parametrize(
    ("contract", "scope"),
    [(m, s) for m in ALL_METHODS if m.policy for s in m.policy.required_scopes],
    ids=str,
)
def test_matrix_each_missing_scope_is_denied(contract: MethodContract, scope: str) -> None:
    assert contract.policy is not None
    principal = alice(*(set(contract.policy.required_scopes) - {scope}))
    failure = refusal(contract, principal, request_of(contract, "alice"))
    assert (failure.code, failure.reason, failure.metadata["scope"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "MISSING_SCOPE",
        scope,
    )


def test_matrix_is_not_empty() -> None:
    assert len(ALL_METHODS) >= 5
