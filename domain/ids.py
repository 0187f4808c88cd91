"""Workflow types, the messages others send them, and deterministic ids: the same situation always maps to the
same workflow. Code that starts or signals a workflow without running it (detection's activity, `inbound/`, the
API) names the type and the message from here, so it needs no import of the workflow itself."""

from models.messages import Pattern

OUTREACH_WORKFLOW = "OutreachWorkflow"
CONVERSATION_WORKFLOW = "ConversationWorkflow"
MAILBOX_SYNC_WORKFLOW = "MailboxSyncWorkflow"
TICKET_REPLY_WORKFLOW = "TicketReplyWorkflow"
INBOUND_RETENTION_WORKFLOW = "InboundRetentionWorkflow"
INVITATION_WORKFLOW = "InvitationWorkflow"
# The one schedule that forgets unmatched mail after its retention, whatever the number of processes.
INBOUND_RETENTION_ID = "inbound-retention"
# Signals that come from outside: a customer's message, a provider's report, the situation going away.
CUSTOMER_REPLIED = "customer_replied"
DELIVERY_STATUS = "delivery_status"
CANCEL = "cancel"
CONVERTED = "converted"
# The update a members' chat message is sent by: it answers with the AI's reply once the turn is done.
CHAT_MESSAGE = "chat_message"
# A live call: the customer picked up (the outreach starts its conversation), each thing they say (an update
# answered with what to say), what the AI actually said, and the call's end.
CALL_ANSWERED = "call_answered"
CALL_TURN = "call_turn"
CALL_SAID = "call_said"
CALL_ENDED = "call_ended"
# The team in a conversation: a team member takes it over from the AI, answers the customer, hands it back.
TAKE_OVER = "take_over"
TEAM_REPLY = "team_reply"
HAND_BACK = "hand_back"


def outreach_id(pattern: Pattern) -> str:
    return f"outreach:{pattern.location_id}:{pattern.dedup_key}"


def conversation_id(action_id: str) -> str:
    return f"conversation:{action_id}"


def chat_id(customer_id: str) -> str:
    """A customer's members' chat: one conversation, reopened when they write again after it ended."""
    return f"chat:{customer_id}"


def detection_id(location_id: str) -> str:
    return f"detection:{location_id}"


def mailbox_sync_id(email_account_id: str) -> str:
    return f"mailbox-sync:{email_account_id}"


def ticket_reply_id(comment_id: str) -> str:
    return f"ticket-reply:{comment_id}"
