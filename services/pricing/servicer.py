"""acme.pricing.v1.PricingService: checks each call, then asks the flights, prices and quotes."""

from dataclasses import dataclass

import grpc
from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc

from accord.access import Access, Context, not_found
from accord.money import to_nanos
from accord.rpc_status import RpcError, error_info, request_reused
from accord.validation import check
from services.pricing import validation
from services.pricing.flights import CapacityBelowBooked, FlightNotFound, Flights, SoldOut
from services.pricing.prices import PriceNotFound, Prices
from services.pricing.quotes import QuoteExpired, QuoteNotFound, Quotes, QuoteUsed, RequestConflict
from services.pricing.records import (
    FlightRecord,
    booking_pb,
    now,
    price_pb,
    quote_pb,
    route_pb,
)


def _precondition(reason: str, text: str, **metadata: str) -> RpcError:
    return RpcError(grpc.StatusCode.FAILED_PRECONDITION, text, error_info(reason, **metadata))


def _sold_out(error: SoldOut) -> RpcError:
    return _precondition(
        "SOLD_OUT", f"only {error.seats_left} seats are left", seats_left=str(error.seats_left)
    )


@dataclass(frozen=True, slots=True)
class PricingServiceV1(pb_grpc.PricingServiceServicer):
    flights: Flights
    prices: Prices
    quotes: Quotes
    access: Access

    async def ConfigureRoute(
        self, request: pb.ConfigureRouteRequest, context: Context
    ) -> pb.ConfigureRouteResponse:
        self.access.staff(
            context, f"fares are configured by staff holding {self.access.admin_scope}"
        )
        check(validation.configure_violations(request))
        wanted = FlightRecord(
            route_id=request.route_id,
            date=request.date,
            currency=request.base_fare.currency_code,
            capacity=request.capacity,
            base_fare=to_nanos(request.base_fare, "base_fare"),
            floor=to_nanos(request.floor, "floor"),
            ceiling=to_nanos(request.ceiling, "ceiling"),
        )
        try:
            flight = await self.flights.configure(wanted)
        except CapacityBelowBooked as below:
            raise _precondition(
                "CAPACITY_BELOW_BOOKED",
                f"{below.booked} seats are already booked on this flight",
                booked_seats=str(below.booked),
            ) from None
        price = await self.prices.reprice(request.route_id, request.date, now())
        return pb.ConfigureRouteResponse(route=route_pb(flight), price=price_pb(price))

    async def GetPrice(self, request: pb.GetPriceRequest, context: Context) -> pb.GetPriceResponse:
        check(validation.flight_violations(request))
        try:
            price = await self.prices.get(request.route_id, request.date)
        except PriceNotFound:
            raise not_found("flight", f"{request.route_id}/{request.date}") from None
        return pb.GetPriceResponse(price=price_pb(price))

    async def GetQuote(self, request: pb.GetQuoteRequest, context: Context) -> pb.GetQuoteResponse:
        check(validation.quote_violations(request))
        try:
            quote = await self.quotes.quote(
                request.customer_id, request.route_id, request.date, request.seats, now()
            )
        except (FlightNotFound, PriceNotFound):
            raise not_found("flight", f"{request.route_id}/{request.date}") from None
        except SoldOut as sold_out:
            raise _sold_out(sold_out) from None
        return pb.GetQuoteResponse(quote=quote_pb(quote))

    async def BookSeats(
        self, request: pb.BookSeatsRequest, context: Context
    ) -> pb.BookSeatsResponse:
        check(validation.book_violations(request))
        try:
            booking = await self.quotes.book(
                request.customer_id, request.quote_id, request.request_id, now()
            )
        except QuoteNotFound:
            raise not_found("quote", request.quote_id) from None
        except QuoteExpired:
            raise _precondition(
                "QUOTE_EXPIRED",
                f"quote {request.quote_id} has expired: ask for a new quote",
                quote_id=request.quote_id,
            ) from None
        except QuoteUsed:
            raise _precondition(
                "QUOTE_USED",
                f"quote {request.quote_id} was already booked by another request",
                quote_id=request.quote_id,
            ) from None
        except SoldOut as sold_out:
            raise _sold_out(sold_out) from None
        except RequestConflict:
            raise request_reused(request.request_id, "with another quote") from None
        return pb.BookSeatsResponse(booking=booking_pb(booking))
