"""A customer's reply to an outreach: matched to the outreach it answers and routed to its workflow.

While the outreach runs (waiting for a reply, or in its conversation) the reply goes to it as a signal.
Once it is over — its reply window closed, or its conversation ended — the reply goes to the conversation
itself by signal-with-start: a run still going takes it, or a new run reopens the conversation. A late
reply is answered, never lost.
"""

from datetime import UTC, datetime

from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from agents.policy import CONVERSATION_IDLE
from domain.ids import conversation_id
from models.messages import ActionStatus, ConversationInput, CustomerMessage
from models.tables import Delivery, ProposedAction
from workflows.conversation import ConversationWorkflow
from workflows.outreach import OutreachWorkflow


class NothingToReplyTo(Exception):
    """The outreach has not been delivered, so a reply cannot be about it."""


def last_delivery(session: Session, action_id: str) -> Delivery | None:
    return session.exec(
        select(Delivery).where(col(Delivery.proposed_action_id) == action_id).order_by(col(Delivery.created_at).desc())
    ).first()


async def route_reply(
    client: Client, task_queue: str, session: Session, action: ProposedAction, message_id: str, body: str
) -> CustomerMessage:
    """Hand the customer's message to the workflow that answers it; the AI answers asynchronously."""
    if action.status != ActionStatus.sent:
        raise NothingToReplyTo(
            f"This proposal is {action.status}, so nothing was sent yet to reply to; approve it first."
        )
    last = last_delivery(session, action.id)
    message = CustomerMessage(
        id=message_id,
        channel=action.channel,
        body=body,
        received_at=datetime.now(UTC),
        in_reply_to=last.message_id if last else None,
    )
    try:
        await client.get_workflow_handle(action.id).signal(OutreachWorkflow.customer_replied, message)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        await _reopen_conversation(client, task_queue, action, last, message)
    return message


async def _reopen_conversation(
    client: Client, task_queue: str, action: ProposedAction, last: Delivery | None, message: CustomerMessage
) -> None:
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
        task_queue=task_queue,
        start_signal=ConversationWorkflow.customer_replied.__name__,
        start_signal_args=[message],
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
