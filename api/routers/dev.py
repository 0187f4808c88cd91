"""Development helpers, mounted only while the sandbox provider is active: play the customer."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.detection import CONVERSATION_IDLE
from api.deps import ClientDep, CurrentOperator, SessionDep, SettingsDep
from api.queries import visible_action
from api.schemas import ReplyAccepted, SimulatedReply
from models.messages import ActionStatus, ConversationInput, CustomerMessage
from models.tables import Delivery, ProposedAction
from settings import Settings
from workflows.conversation import ConversationWorkflow
from workflows.ids import conversation_id
from workflows.outreach import OutreachWorkflow

router = APIRouter(prefix="/api/dev", tags=["sandbox"])


@router.post("/simulate-reply", response_model=ReplyAccepted, status_code=status.HTTP_202_ACCEPTED)
async def simulate_reply(
    body: SimulatedReply, session: SessionDep, operator: CurrentOperator, client: ClientDep, settings: SettingsDep
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
        await reopen_conversation(client, settings, action, last, message)
    return ReplyAccepted(
        proposed_action_id=action.id, conversation_id=conversation_id(action.id), message_id=message.id
    )


async def reopen_conversation(
    client: Client, settings: Settings, action: ProposedAction, last: Delivery | None, message: CustomerMessage
) -> None:
    """The outreach is over (its reply window closed, or its conversation ended), so the customer's message
    goes to the conversation itself: it reaches a run still going, or starts one that reopens it. A late
    reply is answered, never lost."""
    await client.start_workflow(
        ConversationWorkflow.run,
        ConversationInput(
            conversation_id=conversation_id(action.id),
            action_id=action.id,
            location_id=action.location_id,
            customer_id=action.customer_id,
            channel=action.channel,
            subject=last.subject if last else action.subject,
            idle_timeout=CONVERSATION_IDLE,
            last_message_id=last.message_id if last else None,
        ),
        id=conversation_id(action.id),
        task_queue=settings.task_queue,
        start_signal=ConversationWorkflow.customer_replied.__name__,
        start_signal_args=[message],
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
