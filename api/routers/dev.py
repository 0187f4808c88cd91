"""Development helpers, mounted only while the sandbox provider is active: play the customer."""

import uuid

from fastapi import APIRouter, HTTPException, status

from api.deps import ClientDep, CurrentOperator, SessionDep, SettingsDep
from api.queries import visible_action
from api.schemas import ReplyAccepted, SimulatedReply
from domain.ids import conversation_id
from inbound.replies import NothingToReplyTo, route_reply

router = APIRouter(prefix="/api/dev", tags=["sandbox"])


@router.post("/simulate-reply", response_model=ReplyAccepted, status_code=status.HTTP_202_ACCEPTED)
async def simulate_reply(
    body: SimulatedReply, session: SessionDep, operator: CurrentOperator, client: ClientDep, settings: SettingsDep
) -> ReplyAccepted:
    """Reply as the customer to the last message of an outreach; the AI answers asynchronously."""
    action = visible_action(session, operator, body.proposed_action_id)
    try:
        message = await route_reply(client, settings.task_queue, session, action, str(uuid.uuid4()), body.body)
    except NothingToReplyTo as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(refused)) from refused
    return ReplyAccepted(
        proposed_action_id=action.id, conversation_id=conversation_id(action.id), message_id=message.id
    )
