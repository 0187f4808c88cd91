"""The one way a timeline entry is written, shared by the activities (what we send and decide) and by
`inbound/` (what comes home): idempotent by the entry's id, and it keeps the conversation's last activity."""

from sqlmodel import Session

from models.messages import TimelineEvent
from models.tables import Conversation, TimelineEntry


def add_timeline_entry(session: Session, event: TimelineEvent, delivery_id: str | None = None) -> None:
    """Insert a timeline entry unless an earlier attempt already did."""
    if session.get(TimelineEntry, event.id) is not None:
        return
    if event.conversation_id is not None:
        conversation = session.get(Conversation, event.conversation_id)
        if conversation is not None and conversation.updated_at < event.at:
            conversation.updated_at = event.at
    session.add(
        TimelineEntry(
            id=event.id,
            proposed_action_id=event.action_id,
            conversation_id=event.conversation_id,
            sender=event.sender,
            channel=event.channel,
            body=event.body,
            at=event.at,
            delivery_id=delivery_id,
            inbound_message_id=event.inbound_id,
            tool=event.tool,
            ticket_id=event.ticket_id,
        )
    )
