"""Customers: their history (what the inbox shows beside a draft), their consent (opting out stops every outreach
that has not been delivered yet), and the links that sign them in to the members' chat."""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlmodel import Session

from api.auth import can_access
from api.deps import ClientDep, CurrentOperator, MemberPortal, Reviewer, SessionDep, SettingsDep
from api.routers.chat import new_chat_link
from api.schemas import ChatLink, OptOutResult
from inbound import consent
from models.messages import CustomerHistory
from models.tables import Customer, Location, Operator
from safeguards.customer_history import customer_history

router = APIRouter(prefix="/api/customers", tags=["customers"])


def _visible_customer(session: Session, operator: Operator, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or not can_access(operator, customer.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No customer with id {customer_id!r}.")
    return customer


@router.get("/{customer_id}/history", response_model=CustomerHistory)
def history(customer_id: str, session: SessionDep, operator: CurrentOperator) -> CustomerHistory:
    """Who the customer is to the space and what happened between us lately: recent outreach and what became of
    it, conversations, tickets, invoices and payments, bookings, plan and contract, and the matter the team has open
    with them (which holds every outreach). The escalation brief shows the same."""
    customer = _visible_customer(session, operator, customer_id)
    location = session.get(Location, customer.location_id)
    assert location is not None, "a customer's location"
    return customer_history(session, customer, location, datetime.now(UTC))


@router.post("/{customer_id}/opt-out", response_model=OptOutResult)
async def opt_out(customer_id: str, session: SessionDep, operator: Reviewer, client: ClientDep) -> OptOutResult:
    """Record the opt-out and cancel the customer's proposals that have not been delivered (see `inbound.consent`).
    It cancels proposals, so it needs what deciding them needs: the proposedAction permission."""
    customer = _visible_customer(session, operator, customer_id)
    cancelled = await consent.opt_out(session, client, customer)
    return OptOutResult(customer_id=customer_id, opted_out=True, cancelled=cancelled)


@router.post("/{customer_id}/chat-link", response_model=ChatLink)
def chat_link(customer_id: str, session: SessionDep, operator: MemberPortal, settings: SettingsDep) -> ChatLink:
    """A link that signs the customer in to the members' chat, for the member portal to hand its signed-in member
    (it expires after OUTREACH_CHAT_LINK_HOURS)."""
    customer = _visible_customer(session, operator, customer_id)
    link, expires_at = new_chat_link(session, settings, customer)
    return ChatLink(link=link, expires_at=expires_at)
