"""What the space's own systems report — an invoice paid, a contract renewed, a booking made, a lead become a
member — so the space's data here stays true and each outreach learns its outcome (`inbound/conversions.py`).
Reporting the same event again changes nothing and answers the same conversion."""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlmodel import Session, col, select

from api.auth import can_access
from api.deps import ClientDep, SessionDep, SpaceReporter
from api.schemas import BookingMade, ContractRenewed, ConversionPublic, InvoicePaid, LeadConverted
from inbound import conversions
from models.tables import Contract, Conversion, Customer, Invoice, Operator

router = APIRouter(prefix="/api/events", tags=["events"])


def _not_found(what: str, location_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No {what} at location {location_id!r}.")


def _customer(session: Session, operator: Operator, location_id: str, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.location_id != location_id or not can_access(operator, location_id):
        raise _not_found(f"customer with id {customer_id!r}", location_id)
    return customer


@router.post("/invoice-paid", response_model=ConversionPublic)
async def invoice_paid(body: InvoicePaid, session: SessionDep, operator: SpaceReporter,
                       client: ClientDep) -> Conversion:  # fmt: skip
    """The invoice is paid: marked so here, and the outreach about it (and its conversation) learns it."""
    invoice = session.exec(select(Invoice).where(col(Invoice.location_id) == body.location_id,
                                                 col(Invoice.number) == body.invoice_number)).first()  # fmt: skip
    if invoice is None or not can_access(operator, body.location_id):
        raise _not_found(f"invoice {body.invoice_number!r}", body.location_id)
    reported = conversions.invoice_paid(invoice, body.paid_at or datetime.now(UTC), "api")
    return await conversions.report(session, client, reported)


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
