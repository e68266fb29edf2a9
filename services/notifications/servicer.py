"""acme.notifications.v1.NotificationService: where a notifications call is served."""

import grpc
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc

from accord.identity import PrincipalVerifier
from accord.paging import after_key, next_page_token
from accord.rpc_status import RpcError, answers_rpc_errors, error_info, invalid_argument
from services.notifications.store import NotificationStore
from services.orders.validation import id_violations

Context = grpc.aio.ServicerContext[object, object]
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class NotificationServiceV1(pb_grpc.NotificationServiceServicer):
    def __init__(self, store: NotificationStore, verifier: PrincipalVerifier) -> None:
        self._store = store
        self._verifier = verifier

    @answers_rpc_errors
    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Context
    ) -> pb.ListNotificationsResponse:
        # The gateway checked the scope and that the caller names itself (the owner field).
        if self._verifier.principal_of(context) is None:
            raise RpcError(
                grpc.StatusCode.UNAUTHENTICATED,
                "notifications answers only calls that come through the gateway",
                error_info("PRINCIPAL_REQUIRED"),
            )
        violations = id_violations("customer_id", request.customer_id)
        if violations:
            raise invalid_argument(violations)
        size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        page = await self._store.list(request.customer_id, size, after_key(request.page_token))
        return pb.ListNotificationsResponse(
            notifications=page.notifications, next_page_token=next_page_token(page.last_key)
        )
