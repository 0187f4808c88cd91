"""What the space's own systems report — an invoice paid, a contract renewed, a booking made, a lead become a
member, a visit, a tour, whether a booking was kept, a ticket of its own help desk — so the space's data here stays
true, the agents see what they watch for, and each outreach learns its outcome (`inbound/conversions.py`).
Reporting the same event again changes nothing and answers the same."""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from sqlmodel import Session, col, select

from api.auth import can_access
from api.deps import ClientDep, SessionDep, SpaceReporter
from api.queries import visible_location
from api.schemas import (
    ActivityRecorded,
    AttendanceReported,
    BookingMade,
    CheckInReported,
    ContractRenewed,
    ConversionPublic,
    InvoicePaid,
    LeadConverted,
    PaymentReported,
    TicketReported,
    TourReported,
)
from inbound import conversions
from models.messages import Priority, TourStatus
from models.tables import Booking, CheckIn, Contract, Conversion, Customer, Invoice, Operator, Resource, Ticket, Tour
from providers.helpdesk import ticket_number

router = APIRouter(prefix="/api/events", tags=["events"])


def _not_found(what: str, location_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No {what} at location {location_id!r}.")


def _customer(session: Session, operator: Operator, location_id: str, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.location_id != location_id or not can_access(operator, location_id):
        raise _not_found(f"customer with id {customer_id!r}", location_id)
    return customer


def _invoice(session: Session, operator: Operator, location_id: str, number: str) -> Invoice:
    invoice = session.exec(select(Invoice).where(col(Invoice.location_id) == location_id,
                                                 col(Invoice.number) == number)).first()  # fmt: skip
    if invoice is None or not can_access(operator, location_id):
        raise _not_found(f"invoice {number!r}", location_id)
    return invoice


@router.post("/invoice-paid", response_model=ConversionPublic)
async def invoice_paid(body: InvoicePaid, session: SessionDep, operator: SpaceReporter,
                       client: ClientDep) -> Conversion:  # fmt: skip
    """The invoice is paid: marked so here, and the outreach about it (and its conversation) learns it."""
    invoice = _invoice(session, operator, body.location_id, body.invoice_number)
    reported = conversions.invoice_paid(invoice, body.paid_at or datetime.now(UTC), "api")
    return await conversions.report(session, client, reported)


@router.post("/payment-reported", response_model=ActivityRecorded)
def payment_reported(body: PaymentReported, session: SessionDep, operator: SpaceReporter) -> ActivityRecorded:
    """A payment of the invoice is on its way: its reminders wait for it a few days (`due_invoice.PAYMENT_CLEARS`),
    then go on if it never arrived. The invoice is not marked paid: only its payment does that."""
    invoice = _invoice(session, operator, body.location_id, body.invoice_number)
    invoice.payment_reported_at = body.reported_at or datetime.now(UTC)
    session.add(invoice)
    session.commit()
    return ActivityRecorded(id=invoice.number)


@router.post("/contract-renewed", response_model=ConversionPublic)
async def contract_renewed(body: ContractRenewed, session: SessionDep, operator: SpaceReporter,
                           client: ClientDep) -> Conversion:  # fmt: skip
    """The contract is renewed: marked so here, and the renewal outreach learns it."""
    contract = session.get(Contract, body.contract_id)
    if contract is None or contract.location_id != body.location_id or not can_access(operator, body.location_id):
        raise _not_found(f"contract {body.contract_id!r}", body.location_id)
    reported = conversions.contract_renewed(contract, body.renewed_at or datetime.now(UTC), "api")
    return await conversions.report(session, client, reported)


@router.post("/booking-made", response_model=ConversionPublic)
async def booking_made(body: BookingMade, session: SessionDep, operator: SpaceReporter,
                       client: ClientDep) -> Conversion:  # fmt: skip
    """The customer booked (in the space's own system): the first-booking or lead outreach learns it."""
    customer = _customer(session, operator, body.location_id, body.customer_id)
    reported = conversions.booking_made(customer, body.booking_id, body.booked_at or datetime.now(UTC), "api")
    return await conversions.report(session, client, reported)


@router.post("/lead-converted", response_model=ConversionPublic)
async def lead_converted(body: LeadConverted, session: SessionDep, operator: SpaceReporter,
                         client: ClientDep) -> Conversion:  # fmt: skip
    """The lead became a member: marked so here, and the lead outreach learns it."""
    customer = _customer(session, operator, body.location_id, body.customer_id)
    reported = conversions.lead_converted(customer, body.converted_at or datetime.now(UTC), "api")
    return await conversions.report(session, client, reported)


def _conflict(what: str, customer_id: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT,
                         detail=f"{what} is recorded for another customer than {customer_id!r}; report it with "
                         "its own customer, or under a new id.")  # fmt: skip


@router.post("/check-in", response_model=ActivityRecorded)
async def check_in(body: CheckInReported, session: SessionDep, operator: SpaceReporter,
                   client: ClientDep) -> ActivityRecorded:  # fmt: skip
    """A visit (a door, a badge reader, reception): the member is seen, and an outreach about not seeing them
    learns they came back."""
    customer = _customer(session, operator, body.location_id, body.customer_id)
    visit_id = f"{body.location_id}:{body.check_in_id}"
    visit = session.get(CheckIn, visit_id)
    if visit is None:
        visit = CheckIn(id=visit_id, location_id=body.location_id, customer_id=customer.id,
                        at=body.at or datetime.now(UTC), source=body.source)  # fmt: skip
        session.add(visit)
        session.flush()
    elif visit.customer_id != customer.id:
        raise _conflict(f"Check-in {body.check_in_id!r}", customer.id)
    reported = conversions.member_returned(session, visit, "api")
    conversion = await conversions.report(session, client, reported) if reported else None
    session.commit()
    return ActivityRecorded(id=body.check_in_id, conversion=_public(conversion))


@router.post("/tour", response_model=ActivityRecorded)
async def tour(body: TourReported, session: SessionDep, operator: SpaceReporter,
               client: ClientDep) -> ActivityRecorded:  # fmt: skip
    """A tour booked, moved, taken, missed or cancelled. A taken tour completes the outreach that led to it."""
    customer = _customer(session, operator, body.location_id, body.customer_id)
    tour_id = f"{body.location_id}:{body.tour_id}"
    found = session.get(Tour, tour_id)
    if found is not None and found.customer_id != customer.id:
        raise _conflict(f"Tour {body.tour_id!r}", customer.id)
    reported: dict[str, Any] = {"starts_at": body.starts_at, "status": body.status, "updated_at": datetime.now(UTC)}
    found = found or Tour(id=tour_id, location_id=body.location_id, customer_id=customer.id, **reported)
    found.sqlmodel_update(reported)  # a tour reported again: moved, taken, missed or cancelled
    session.add(found)
    conversion = None
    if found.status is TourStatus.attended:
        conversion = await conversions.report(session, client, conversions.tour_attended(found, body.tour_id, "api"))
    session.commit()
    return ActivityRecorded(id=body.tour_id, conversion=_public(conversion))


@router.post("/booking-attendance", response_model=ActivityRecorded)
def booking_attendance(body: AttendanceReported, session: SessionDep, operator: SpaceReporter) -> ActivityRecorded:
    """Whether a booking was kept: a booking not kept is what the booking no-show agent follows up."""
    booking = session.get(Booking, body.booking_id)
    resource = session.get(Resource, booking.resource_id) if booking else None
    if (
        booking is None
        or resource is None
        or resource.location_id != body.location_id
        or not can_access(operator, body.location_id)
    ):
        raise _not_found(f"booking {body.booking_id!r}", body.location_id)
    booking.attended = body.attended
    session.add(booking)
    session.commit()
    return ActivityRecorded(id=booking.id)


@router.post("/ticket", response_model=ActivityRecorded)
def ticket(body: TicketReported, session: SessionDep, operator: SpaceReporter) -> ActivityRecorded:
    """A ticket of the space's own help desk, opened or updated there (subject, category, status): kept beside the
    built-in help desk's tickets, and read by the team agents as they are."""
    if body.customer_id is not None:
        _customer(session, operator, body.location_id, body.customer_id)
    visible_location(session, operator, body.location_id)
    ticket_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"reported-ticket:{body.location_id}:{body.ticket_id}"))
    found = session.get(Ticket, ticket_id)
    if found is not None and found.requester_id != body.customer_id:
        if body.customer_id is None:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=f"Ticket {body.ticket_id!r} is recorded for a "
                                "customer; report it with its customer_id, or under a new id.")  # fmt: skip
        raise _conflict(f"Ticket {body.ticket_id!r}", body.customer_id)
    now = datetime.now(UTC)
    reported: dict[str, Any] = {"subject": body.subject, "category": body.category, "status": body.status,
                                "updated_at": now}  # fmt: skip
    found = found or Ticket(id=ticket_id, number=ticket_number(ticket_id), location_id=body.location_id,
                            requester_id=body.customer_id, priority=Priority.normal,
                            created_at=body.opened_at or now, **reported)  # fmt: skip
    found.sqlmodel_update(reported)
    session.add(found)
    session.commit()
    return ActivityRecorded(id=body.ticket_id)


def _public(conversion: Conversion | None) -> ConversionPublic | None:
    return ConversionPublic.model_validate(conversion, from_attributes=True) if conversion else None
