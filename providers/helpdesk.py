"""The help desk a proposal can be taken over into, behind one small interface.

The built-in face keeps tickets in this database (`/api/helpdesk`). An external help desk (Zendesk, Freshdesk)
is another face of the same interface: `open_ticket` creates the ticket through its API with our ticket id as
its external id (both have one) and answers its ticket number; `confirm` looks the ticket up by that external id
after an ambiguous attempt; its webhooks post the customer's comments back through `inbound/`.
"""

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.db import session_scope
from models.messages import CustomerMessage, EscalationReason, Priority, Sender, TicketStatus, TimelineEvent
from models.tables import Ticket, TicketComment
from models.timeline import add_timeline_entry
from providers.outcomes import Attempt


@dataclass(frozen=True)
class NewTicket:
    ticket_id: str  # ours: the idempotency key
    location_id: str
    requester_id: str
    subject: str
    body_html: str  # the first public comment: what the customer is told
    priority: Priority
    department_id: str | None
    internal_note: str | None  # for the team only
    author_name: str
    proposed_action_id: str | None
    conversation_id: str
    escalation_reason: EscalationReason | None = None  # why the AI handed it over, for an escalation's ticket
    author: Sender = Sender.operator  # who opens it: an operator taking a proposal over, or the AI escalating


class HelpDesk(Protocol):
    name: str

    def open_ticket(self, ticket: NewTicket) -> str:
        """Open the ticket (once, by `ticket_id`) and answer its number."""

    def confirm(self, attempt: Attempt) -> str | None:
        """After an ambiguous attempt: the ticket's number if it was opened, None if it surely was not."""

    def hand_back(self, ticket_id: str, note_id: str, note_html: str, priority: Priority, author_name: str) -> str:
        """Give a ticket the conversation already lives in back to the team (once, by `note_id`): the brief as an
        internal note, the priority raised to at least `priority`, the ticket open. Answers its number."""


def ticket_number(ticket_id: str) -> str:
    return f"T-{ticket_id.replace('-', '')[:8].upper()}"


# A ticket's number before it is opened (a preview): it is given when the ticket is.
NUMBER_TO_COME = "T-…"


def notification(number: str, subject: str, body_html: str) -> tuple[str, str]:
    """The email that tells the customer a ticket was opened for them: its subject and body."""
    return f"[{number}] {subject}", (f"<p>We have opened ticket {number} for you. Our team will follow up; reply to "
                                     f"this email to add to it.</p>{body_html}")  # fmt: skip


class BuiltInHelpDesk:
    name = "helpdesk"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def open_ticket(self, ticket: NewTicket) -> str:
        now = datetime.now(UTC)
        with session_scope(self._engine) as session:
            if session.get(Ticket, ticket.ticket_id) is None:
                session.add(Ticket(id=ticket.ticket_id, number=ticket_number(ticket.ticket_id),
                                   location_id=ticket.location_id, requester_id=ticket.requester_id,
                                   subject=ticket.subject, status=TicketStatus.open, priority=ticket.priority,
                                   department_id=ticket.department_id, proposed_action_id=ticket.proposed_action_id,
                                   conversation_id=ticket.conversation_id, escalation_reason=ticket.escalation_reason,
                                   created_at=now, updated_at=now))  # fmt: skip
                session.flush()
                add_comment(session, ticket.ticket_id, f"{ticket.ticket_id}:opened", ticket.author,
                            ticket.author_name, ticket.body_html, public=True, at=now)  # fmt: skip
                if ticket.internal_note:
                    add_comment(session, ticket.ticket_id, f"{ticket.ticket_id}:note", ticket.author,
                                ticket.author_name, ticket.internal_note, public=False, at=now)  # fmt: skip
        return ticket_number(ticket.ticket_id)

    def confirm(self, attempt: Attempt) -> str | None:
        with Session(self._engine) as session:
            found = session.get(Ticket, attempt.delivery_id)
            return found.number if found is not None else None

    def hand_back(self, ticket_id: str, note_id: str, note_html: str, priority: Priority, author_name: str) -> str:
        now = datetime.now(UTC)
        with session_scope(self._engine) as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None, "a ticket of ours"
            if session.get(TicketComment, note_id) is None:
                # The AI hands the conversation back with its brief (an escalation of a ticket's conversation).
                add_comment(session, ticket_id, note_id, Sender.ai, author_name, note_html, public=False, at=now)
                ranks = list(Priority)
                ticket.priority = max(ticket.priority, priority, key=ranks.index)
                ticket.status, ticket.updated_at = TicketStatus.open, now
                session.add(ticket)
            return ticket.number


def add_comment(session: Session, ticket_id: str, comment_id: str, author: Sender, author_name: str,
                body_html: str, *, public: bool, at: datetime) -> TicketComment:  # fmt: skip
    comment = TicketComment(id=comment_id, ticket_id=ticket_id, author=author, author_name=author_name,
                            body_html=body_html, public=public, created_at=at)  # fmt: skip
    session.add(comment)
    return comment


def comment_from_customer(session: Session, action_id: str | None, conversation_id: str | None, comment_id: str,
                          author_name: str, text: str, at: datetime) -> Ticket | None:  # fmt: skip
    """The customer's message as a public comment on the conversation's ticket, which is the team's to look at
    again (open); None when there is no ticket. Once per comment id."""
    ticket = ticket_of(session, action_id, conversation_id)
    if ticket is None:
        return None
    if session.get(TicketComment, comment_id) is None:
        body_html = "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"
        add_comment(session, ticket.id, comment_id, Sender.customer, author_name, body_html, public=True, at=at)
        ticket.status, ticket.updated_at = TicketStatus.open, datetime.now(UTC)
        session.add(ticket)
    return ticket


def pass_to_ticket(session: Session, message: CustomerMessage, action_id: str | None, conversation_id: str,
                   author_name: str) -> Ticket | None:  # fmt: skip
    """A customer's message after their conversation was escalated: a comment on its ticket (open again) and an
    entry on the timeline that names the ticket. Once per message."""
    ticket = comment_from_customer(session, action_id, conversation_id, f"inbound:{message.id}", author_name,
                                   message.body, message.received_at)  # fmt: skip
    entry = TimelineEvent.from_customer(message, action_id, conversation_id)
    add_timeline_entry(session, entry.model_copy(update={"ticket_id": ticket.id if ticket else None}))
    return ticket


def ticket_of(session: Session, action_id: str | None, conversation_id: str | None = None) -> Ticket | None:
    """The ticket a proposal was taken over into or escalated to; for the members' chat, which has no proposal,
    the one its conversation was escalated to. The latest, should there be more."""
    if action_id is None and conversation_id is None:
        return None
    mine = (
        (col(Ticket.proposed_action_id) == action_id) if action_id else (col(Ticket.conversation_id) == conversation_id)
    )
    return session.exec(select(Ticket).where(mine).order_by(col(Ticket.created_at).desc())).first()
