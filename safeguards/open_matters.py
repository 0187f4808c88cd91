"""What a customer is going through that no outreach may talk over: a conversation handed to the team (a
dispute, a complaint, a question for a person) that the team has not closed, or a help-desk ticket still open.
While one is, detection proposes nothing to them and an approved outreach waits, held with the reason — so a
payment reminder never lands in the middle of the dispute about it."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, col, select

from models.messages import ConversationStatus, TicketStatus
from models.tables import Conversation, Ticket

OPEN_TICKETS = (TicketStatus.open, TicketStatus.pending)
# An escalated conversation stays so once its workflow is done; its ticket says when the team is through. One with
# no ticket (or none solved) holds outreach this long after its last message, not for ever.
ESCALATION_HOLDS = timedelta(days=14)


def open_matters(session: Session, customer_ids: Sequence[str], now: datetime) -> dict[str, str]:
    """Why each of these customers is not to be contacted now, for those with a matter open."""
    settled = exists().where(
        col(Ticket.conversation_id) == col(Conversation.id), col(Ticket.status).not_in(OPEN_TICKETS)
    )
    escalated = session.exec(
        select(Conversation.customer_id, Conversation.subject).where(
            col(Conversation.customer_id).in_(customer_ids),
            col(Conversation.status) == ConversationStatus.escalated,
            col(Conversation.updated_at) >= now - ESCALATION_HOLDS,
            ~settled,
        )
    ).all()
    tickets = session.exec(
        select(Ticket.requester_id, Ticket.number).where(
            col(Ticket.requester_id).in_(customer_ids), col(Ticket.status).in_(OPEN_TICKETS)
        )
    ).all()
    matters: dict[str, str] = {}
    for customer_id, subject in escalated:
        matters.setdefault(customer_id, f'The customer\'s conversation "{subject}" is with the team.')
    for requester_id, number in tickets:
        matters.setdefault(str(requester_id), f"The customer's help-desk ticket {number} is open.")
    return matters
