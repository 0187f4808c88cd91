"""Development helpers, mounted only while the sandbox provider is active: play the customer."""

from fastapi import APIRouter, HTTPException, status

from api.deps import CurrentOperator, RouterDep, SessionDep
from api.queries import visible_action
from api.schemas import ReplyAccepted, SimulatedReply
from domain.ids import conversation_id
from inbound.router import NothingToReplyTo, simulate

router = APIRouter(prefix="/api/dev", tags=["sandbox"])


@router.post("/simulate-reply", response_model=ReplyAccepted, status_code=status.HTTP_202_ACCEPTED)
async def simulate_reply(
    body: SimulatedReply, session: SessionDep, operator: CurrentOperator, router: RouterDep
) -> ReplyAccepted:
    """Reply as the customer to the last message of an outreach; the AI answers asynchronously."""
    action = visible_action(session, operator, body.proposed_action_id)
    try:
        mail = await simulate(session, router, action, body.body)
    except NothingToReplyTo as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(refused)) from refused
    return ReplyAccepted(proposed_action_id=action.id, conversation_id=conversation_id(action.id), message_id=mail.id)
