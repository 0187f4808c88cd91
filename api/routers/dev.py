"""Development helpers, mounted only with OUTREACH_DEVELOPMENT (`make run`): play the customer, and the space's own
systems. Each needs the permission of what it stands in for: a reply answers a proposal an operator reviews
(`proposedAction`); a conversion is what the space's systems report (`spaceEvents`, as `POST /api/events`)."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status

from api.deps import ClientDep, Reviewer, RouterDep, SessionDep, SpaceReporter
from api.queries import visible_action
from api.schemas import ConversionPublic, ReplyAccepted, SimulatedConversion, SimulatedReply
from domain.ids import conversation_id
from inbound import conversions
from inbound.router import NothingToReplyTo, simulate
from models.messages import ActionStatus, AgentType
from models.tables import Contract, Conversion, Customer, Invoice

router = APIRouter(prefix="/api/dev", tags=["development"])


@router.post("/simulate-reply", response_model=ReplyAccepted, status_code=status.HTTP_202_ACCEPTED)
async def simulate_reply(
    body: SimulatedReply, session: SessionDep, operator: Reviewer, router: RouterDep
) -> ReplyAccepted:
    """Reply as the customer to the last message of an outreach; the AI answers asynchronously."""
    action = visible_action(session, operator, body.proposed_action_id)
    try:
        mail = await simulate(session, router, action, body.body)
    except NothingToReplyTo as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(refused)) from refused
    return ReplyAccepted(proposed_action_id=action.id, conversation_id=conversation_id(action.id), message_id=mail.id)


@router.post("/simulate-conversion", response_model=ConversionPublic)
async def simulate_conversion(
    body: SimulatedConversion, session: SessionDep, operator: SpaceReporter, client: ClientDep
) -> Conversion:
    """Do what a delivered outreach asked, as the customer would and the space's systems would report it: pay the
    invoice, renew the contract, make the first booking, become a member."""
    action = visible_action(session, operator, body.proposed_action_id)
    if action.status is not ActionStatus.sent:
        detail = f"Only a delivered outreach converts; this one is {action.status.value}."
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail)
    now, customer = datetime.now(UTC), session.get(Customer, action.customer_id)
    assert customer is not None  # enforced by the foreign key
    if action.agent_type is AgentType.due_invoice:
        invoice = session.get(Invoice, str(action.facts["invoice_id"]))
        assert invoice is not None, "the situation's invoice"
        reported = conversions.invoice_paid(invoice, now, "sandbox")
    elif action.agent_type is AgentType.contract_renewal:
        contract = session.get(Contract, str(action.facts["contract_id"]))
        assert contract is not None, "the situation's contract"
        reported = conversions.contract_renewed(contract, now, "sandbox")
    elif action.agent_type is AgentType.lead_follow_up:
        reported = conversions.lead_converted(customer, now, "sandbox")
    else:
        reported = conversions.booking_made(customer, f"sandbox-{uuid.uuid4()}", now, "sandbox")
    return await conversions.report(session, client, reported)
