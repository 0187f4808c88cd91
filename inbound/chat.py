"""The members' chat: a customer, signed in by the chat link their member portal handed them, writes to the
location's AI themselves — the same AI, tools and escalation as the conversations that follow an outreach.

Each customer has one chat conversation (`chat:{customer}`), a `ConversationWorkflow` of its own. A message is
sent to it as an update (started with it when no run is going: update-with-start), whose result is the AI's
answer, so the chat shows it at once; a conversation that ended reopens. Once the chat was escalated, the team
has it: a message goes to the ticket and the timeline, and the team answers by email from the ticket.
"""

import asyncio
from typing import Any

from sqlmodel import Session
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy

from agents.policy import CONVERSATION_IDLE
from domain.ids import CHAT_MESSAGE, CONVERSATION_WORKFLOW, chat_id
from models.messages import Channel, ConversationInput, ConversationStatus, CustomerMessage, LiveAnswer
from models.tables import Conversation, Customer
from providers.helpdesk import pass_to_ticket

SUBJECT = "Members' chat"
# A message that reaches a conversation in the moment it ends is refused by it; the next run takes it.
ENDING_RETRIES = 20
ENDING_PAUSE = 0.1


class ChatUnavailable(Exception):
    """The conversation kept refusing the message: it is ending and no new run took it."""


async def say(session: Session, client: Client, task_queue: str, customer: Customer,
              message: CustomerMessage) -> LiveAnswer:  # fmt: skip
    """The customer's message, answered by the AI; or, once the chat is escalated, passed to the team."""
    opening = ConversationInput(conversation_id=chat_id(customer.id), action_id=None, location_id=customer.location_id,
                                customer_id=customer.id, channel=Channel.chat, subject=SUBJECT,
                                idle_timeout=CONVERSATION_IDLE)  # fmt: skip
    for _ in range(ENDING_RETRIES):
        conversation = session.get(Conversation, opening.conversation_id, populate_existing=True)
        if conversation is not None and conversation.status is ConversationStatus.escalated:
            pass_to_ticket(session, message, None, conversation.id, customer.name)
            session.commit()
            return LiveAnswer(message_id=message.id, reply_html="", status=ConversationStatus.escalated)
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            CONVERSATION_WORKFLOW, opening, id=opening.conversation_id, task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )  # fmt: skip
        # The AI's turn takes seconds: the request holds no pooled connection meanwhile (what it loaded stays).
        session.close()
        try:
            return await client.execute_update_with_start_workflow(
                CHAT_MESSAGE, message, start_workflow_operation=start, result_type=LiveAnswer
            )
        except WorkflowUpdateFailedError:
            # The conversation is ending (escalated, resolved, gone quiet) as the message arrives: once its run
            # is over, the message goes to the team or a new run reopens the chat.
            await asyncio.sleep(ENDING_PAUSE)
    raise ChatUnavailable("The chat is closing a conversation just now; send the message again in a moment.")
