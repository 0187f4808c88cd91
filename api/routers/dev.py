"""Development helpers, mounted only while the sandbox provider is active: play the customer."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlmodel import col, select
from temporalio.service import RPCError, RPCStatusCode

from api.deps import ClientDep, CurrentOperator, SessionDep
from api.queries import visible_action
from api.schemas import ReplyAccepted, SimulatedReply
from models.messages import ActionStatus, CustomerMessage
from models.tables import Delivery
from workflows.ids import conversation_id
from workflows.outreach import OutreachWorkflow

router = APIRouter(prefix="/api/dev", tags=["sandbox"])


@router.post("/simulate-reply", response_model=ReplyAccepted, status_code=status.HTTP_202_ACCEPTED)
async def simulate_reply(
    body: SimulatedReply, session: SessionDep, operator: CurrentOperator, client: ClientDep
) -> ReplyAccepted:
    """Reply as the customer to the last message of an outreach; the AI answers asynchronously."""
    action = visible_action(session, operator, body.proposed_action_id)
    if action.status != ActionStatus.sent:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"This proposal is {action.status}, so nothing was sent yet to reply to; approve it first.",
        )
    last = session.exec(
        select(Delivery).where(col(Delivery.proposed_action_id) == action.id).order_by(col(Delivery.created_at).desc())
    ).first()
    message = CustomerMessage(
        id=str(uuid.uuid4()),
        channel=action.channel,
        body=body.body,
        received_at=datetime.now(UTC),
        in_reply_to=last.message_id if last else None,
    )
    try:
        await client.get_workflow_handle(action.id).signal(OutreachWorkflow.customer_replied, message)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="This outreach is finished (its reply window closed or its conversation ended); "
            "the reply cannot be delivered to it.",
        ) from error
    return ReplyAccepted(
        proposed_action_id=action.id, conversation_id=conversation_id(action.id), message_id=message.id
    )
