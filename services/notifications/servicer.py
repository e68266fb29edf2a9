"""acme.notifications.v1.NotificationService: where a notifications call is served."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
import httpx
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from google.rpc import error_details_pb2
from nats.js import JetStreamContext

from accord.budget import CallerBudget
from accord.paging import (
    after_sequence,
    page_size_or_default,
    page_size_violations,
    sequence_token,
)
from accord.rpc_status import (
    RpcError,
    error_info,
    field_violation,
    invalid_argument,
)
from accord.timestamps import timestamp
from accord.validation import check, id_violations
from services.notifications import signing
from services.notifications.access import CustomerAccess
from services.notifications.customers import CustomerSettings, StoredWebhook
from services.notifications.destinations import Destinations, RefusedDestination, UnresolvedHost
from services.notifications.email_addresses import EmailAddresses
from services.notifications.inapp import InApp
from services.notifications.sending import Sending
from services.notifications.store import NotificationStore

Context = grpc.aio.ServicerContext[object, object]
MAX_CURSOR = 2**63 - 1  # stream sequences never get near it
MAX_EMAIL_LENGTH = 254
MAX_URL_LENGTH = 2048
# Each notification is POSTed to every webhook of its customer: the cap bounds that fan-out.
MAX_WEBHOOKS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationServiceV1(pb_grpc.NotificationServiceServicer):
    store: NotificationStore
    customers: CustomerSettings
    inapp: InApp
    js: JetStreamContext
    access: CustomerAccess
    sending: Sending
    destinations: Destinations
    addresses: EmailAddresses
    # How many Subscribe streams each caller (and the process) may hold open at once.
    subscriptions: CallerBudget = field(
        default_factory=lambda: CallerBudget("Subscribe streams"), init=False
    )

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: Context
    ) -> pb.ListNotificationsResponse:
        self.access.customer(context, request.customer_id)
        check(page_size_violations(request.page_size))
        page = await self.store.list(
            request.customer_id,
            page_size_or_default(request.page_size),
            after_sequence(request.page_token),
        )
        return pb.ListNotificationsResponse(
            notifications=page.notifications, next_page_token=sequence_token(page.resume_after)
        )

    async def Subscribe(
        self, request: pb.SubscribeRequest, context: Context
    ) -> AsyncIterator[pb.SubscribeResponse]:
        caller = self.access.customer(context, request.customer_id)
        if request.cursor > MAX_CURSOR:
            raise invalid_argument([field_violation("cursor", "is not a cursor we issued")])
        # Ends when the client goes away: grpc cancels this generator, and `follow` drops its
        # subscription on the way out. Each open stream counts against the caller's budget.
        with self.subscriptions.hold(caller.subject):
            async for cursor, notification in self.inapp.follow(
                self.js, request.customer_id, request.cursor
            ):
                yield pb.SubscribeResponse(notification=notification, cursor=cursor)

    async def SetPreferences(
        self, request: pb.SetPreferencesRequest, context: Context
    ) -> pb.SetPreferencesResponse:
        self.access.customer(context, request.customer_id)
        if request.email and not _plausible_email(request.email):
            raise invalid_argument(
                [
                    field_violation(
                        "email", f"must be an address of at most {MAX_EMAIL_LENGTH} characters"
                    )
                ]
            )
        preferences = await self.addresses.set(request.customer_id, request.email)
        return pb.SetPreferencesResponse(preferences=preferences)

    async def VerifyEmail(
        self, request: pb.VerifyEmailRequest, context: Context
    ) -> pb.VerifyEmailResponse:
        self.access.customer(context, request.customer_id)
        preferences = await self.addresses.verify(request.customer_id, request.code)
        return pb.VerifyEmailResponse(preferences=preferences)

    async def RegisterWebhook(
        self, request: pb.RegisterWebhookRequest, context: Context
    ) -> pb.RegisterWebhookResponse:
        self.access.customer(context, request.customer_id)
        problem = _url_problem(request.url)
        if problem:
            raise invalid_argument([field_violation("url", problem)])
        await self._check_destination(httpx.URL(request.url))
        webhook_id = signing.webhook_id(request.customer_id, request.url)
        if not await self.customers.claim_webhook_place(
            request.customer_id, webhook_id, MAX_WEBHOOKS
        ):
            raise RpcError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"a customer has at most {MAX_WEBHOOKS} webhooks: delete one first",
                error_info("TOO_MANY_WEBHOOKS", limit=str(MAX_WEBHOOKS)),
            )
        webhook = pb.Webhook(
            webhook_id=webhook_id,
            customer_id=request.customer_id,
            url=request.url,
            create_time=timestamp(datetime.now(UTC)),
        )
        secret = signing.new_secret()
        await self.customers.put_webhook(StoredWebhook(webhook, secret))
        return pb.RegisterWebhookResponse(webhook=webhook, secret=secret)

    async def _check_destination(self, url: httpx.URL) -> None:
        """Refuse a URL whose host is, or now resolves to, an address webhooks may not reach
        (destinations.py); deliveries check again, on what it resolves to then."""
        try:
            await self.destinations.resolve(
                url.host, url.port or (443 if url.scheme == "https" else 80)
            )
        except RefusedDestination as refused:
            raise RpcError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"url: {refused}",
                error_details_pb2.BadRequest(
                    field_violations=[field_violation("url", str(refused))]
                ),
                error_info(
                    "WEBHOOK_ADDRESS_REFUSED", address=str(refused.address), kind=refused.kind
                ),
            ) from None
        except UnresolvedHost:
            raise RpcError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"url: the host {url.host} does not resolve; register it once it does",
                error_info("WEBHOOK_HOST_UNRESOLVED", host=url.host),
            ) from None

    async def ListWebhooks(
        self, request: pb.ListWebhooksRequest, context: Context
    ) -> pb.ListWebhooksResponse:
        self.access.customer(context, request.customer_id)
        stored = await self.customers.webhooks(request.customer_id)
        return pb.ListWebhooksResponse(webhooks=[s.webhook for s in stored])

    async def SendNotification(
        self, request: pb.SendNotificationRequest, context: Context
    ) -> pb.SendNotificationResponse:
        return await self.sending.send(request, self.access.caller(context))

    async def DeleteWebhook(
        self, request: pb.DeleteWebhookRequest, context: Context
    ) -> pb.DeleteWebhookResponse:
        self.access.customer(context, request.customer_id)
        # Webhook ids become key tokens: the same rule as customer ids keeps keys well formed.
        check(id_violations("webhook_id", request.webhook_id))
        if not await self.customers.delete_webhook(request.customer_id, request.webhook_id):
            raise RpcError(
                grpc.StatusCode.NOT_FOUND,
                f"no webhook {request.webhook_id}",
                error_info("WEBHOOK_NOT_FOUND"),
            )
        return pb.DeleteWebhookResponse()


def _plausible_email(email: str) -> bool:
    # Deliverability is the mail sender's to find out; this only catches what is plainly not
    # an address (and anything that could break a header line).
    local, at, domain = email.rpartition("@")
    return (
        len(email) <= MAX_EMAIL_LENGTH
        and bool(at and local and "." in domain.strip("."))
        and not any(c.isspace() or c in "<>,;" for c in email)
    )


def _url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook endpoint, or None."""
    if not url or len(url) > MAX_URL_LENGTH:
        return f"must be an absolute http or https URL of at most {MAX_URL_LENGTH} characters"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "is not a URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "must be an absolute http or https URL"
    if parsed.userinfo or parsed.fragment:
        return "must not hold a user name, a password or a fragment"
    return None
