"""What a customer is going through that no outreach may talk over: a conversation handed to the team (a
dispute, a complaint, a question for a person) or a help-desk ticket still open. While one is, detection proposes
nothing to them and an approved outreach waits, held with the reason — so a payment reminder never lands in the
middle of the dispute about it."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models.messages import ConversationStatus, TicketStatus
from models.tables import Conversation, Ticket

OPEN_TICKETS = (TicketStatus.open, TicketStatus.pending)


def open_matters(session: Session, customer_ids: Sequence[str]) -> dict[str, str]:
    """Why each of these customers is not to be contacted now, for those with a matter open."""
    escalated = session.exec(
        select(Conversation.customer_id, Conversation.subject).where(
            col(Conversation.customer_id).in_(customer_ids), col(Conversation.status) == ConversationStatus.escalated
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
    for customer_id, number in tickets:
        matters.setdefault(customer_id, f"The customer's help-desk ticket {number} is open.")
    return matters
