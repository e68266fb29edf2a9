"""acme.devices.v1.DeviceService: checks each call, then asks the registry and suggestions."""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import grpc
from acme.devices.v1 import devices_pb2 as pb
from acme.devices.v1 import devices_pb2_grpc as pb_grpc

from accord.access import Access, Context, not_found
from accord.paging import after_sequence, page_size_or_default, sequence_token
from accord.rpc_status import RpcError, error_info
from accord.validation import check, id_violations
from services.devices import claims, validation
from services.devices.identities import device_inbox, secret_hash
from services.devices.records import (
    ScheduleRecord,
    State,
    SuggestionRecord,
    device_pb,
    schedule_pb,
    suggestion_pb,
)
from services.devices.registry import DeviceTaken, Registry
from services.devices.schedules import ScheduleSender
from services.devices.suggestions import AlreadyDecided, Suggestions

R = TypeVar("R")


class _PageRequest(Protocol):
    owner_id: str
    page_size: int
    page_token: str


async def _owner_page(
    request: _PageRequest,
    of_owner: Callable[[str, int, int], Awaitable[tuple[list[R], int | None]]],
) -> tuple[list[R], str]:
    """The page of the owner's devices or suggestions a List call asks for, and the token of
    the next page."""
    check(validation.page_violations(request.owner_id, request.page_size))
    found, last = await of_owner(
        request.owner_id,
        page_size_or_default(request.page_size),
        after_sequence(request.page_token),
    )
    return found, sequence_token(last)


def _already_decided(suggestion: SuggestionRecord) -> RpcError:
    return RpcError(
        grpc.StatusCode.FAILED_PRECONDITION,
        f"suggestion {suggestion.suggestion_id} was already {suggestion.state.value.lower()}",
        error_info(
            "SUGGESTION_ALREADY_DECIDED",
            suggestion_id=suggestion.suggestion_id,
            state=suggestion.state.value,
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceServiceV1(pb_grpc.DeviceServiceServicer):
    registry: Registry
    suggestions: Suggestions
    schedules: ScheduleSender
    access: Access
    claim_key: bytes

    async def RegisterDevice(
        self, request: pb.RegisterDeviceRequest, context: Context
    ) -> pb.RegisterDeviceResponse:
        check(validation.register_violations(request))
        # The code first, and the same answer whether or not the device is taken: only
        # someone holding the device learns that another owner claimed it.
        if not claims.matches(self.claim_key, request.device_id, request.claim_code):
            raise RpcError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"the claim code does not match device {request.device_id}",
                error_info("CLAIM_CODE_MISMATCH", device_id=request.device_id),
            )
        try:
            device = await self.registry.register(
                request.owner_id, request.device_id, request.display_name
            )
        except DeviceTaken:
            raise RpcError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"device {request.device_id} is claimed by another owner, who must release it",
                error_info("DEVICE_CLAIMED", device_id=request.device_id),
            ) from None
        secret = secrets.token_urlsafe(32)
        await self.registry.issue_secret(device.device_id, device.owner_id, secret_hash(secret))
        credentials = pb.DeviceCredentials(
            user=device.device_id, secret=secret, inbox_prefix=device_inbox(device.device_id)
        )
        return pb.RegisterDeviceResponse(device=device_pb(device), credentials=credentials)

    async def GetDevice(
        self, request: pb.GetDeviceRequest, context: Context
    ) -> pb.GetDeviceResponse:
        caller = self.access.caller(context)
        check(id_violations("device_id", request.device_id))
        device = await self.registry.find(request.device_id)
        if device is None or not self.access.may_see(caller, device.owner_id):
            raise not_found("device", request.device_id)
        return pb.GetDeviceResponse(device=device_pb(device))

    async def ListDevices(
        self, request: pb.ListDevicesRequest, context: Context
    ) -> pb.ListDevicesResponse:
        devices, token = await _owner_page(request, self.registry.of_owner)
        return pb.ListDevicesResponse(
            devices=[device_pb(d) for d in devices], next_page_token=token
        )

    async def ListSuggestions(
        self, request: pb.ListSuggestionsRequest, context: Context
    ) -> pb.ListSuggestionsResponse:
        found, token = await _owner_page(request, self.suggestions.of_owner)
        return pb.ListSuggestionsResponse(
            suggestions=[suggestion_pb(s) for s in found], next_page_token=token
        )

    async def _decide(self, context: Context, suggestion_id: str, state: State) -> SuggestionRecord:
        """The caller's decision on their suggestion; the same decision again changes nothing.
        Deciding is the owner's own act (staff included see but do not decide): someone
        else's suggestion is NOT_FOUND, one decided the other way FAILED_PRECONDITION."""
        caller = self.access.caller(context)
        check(validation.suggestion_id_violations(suggestion_id))
        suggestion = await self.suggestions.find(suggestion_id)
        if suggestion is None or suggestion.owner_id != caller.subject:
            raise not_found("suggestion", suggestion_id)
        try:
            return await self.suggestions.decide(suggestion.suggestion_id, state)
        except AlreadyDecided as decided:
            raise _already_decided(decided.suggestion) from None

    async def AcceptSuggestion(
        self, request: pb.AcceptSuggestionRequest, context: Context
    ) -> pb.AcceptSuggestionResponse:
        accepted = await self._decide(context, request.suggestion_id, State.ACCEPTED)
        # Accepted first, then the schedule added to the device, then sent: each step is
        # idempotent, so a retry of an interrupted call (the suggestion already accepted)
        # finishes the steps it missed, and sends the same event id again.
        schedule = ScheduleRecord(
            schedule_id=accepted.suggestion_id,
            setpoint_tenths=accepted.setpoint_tenths,
            minute=accepted.minute,
            created_at=accepted.decided_at or accepted.created_at,
        )
        device = await self.registry.add_schedule(accepted.device_id, schedule)
        stored = next(s for s in device.schedules if s.schedule_id == schedule.schedule_id)
        await self.schedules.send(device.device_id, device.owner_id, stored)
        return pb.AcceptSuggestionResponse(
            suggestion=suggestion_pb(accepted), schedule=schedule_pb(device.device_id, stored)
        )

    async def DeclineSuggestion(
        self, request: pb.DeclineSuggestionRequest, context: Context
    ) -> pb.DeclineSuggestionResponse:
        declined = await self._decide(context, request.suggestion_id, State.DECLINED)
        return pb.DeclineSuggestionResponse(suggestion=suggestion_pb(declined))
