"""The help desk, where the team works:
- the `helpdesk` channel: an operator's takeover into a ticket — the draft as its first public comment, the
  review's internal notes for the team only — linked to the conversation, and the customer told by email (the
  location's help-desk notification, whose replies come home like the AI email's);
- escalation: a conversation the AI hands over becomes a ticket whose internal note is the team's brief, and
  whatever the customer writes after that goes to the ticket, not to the AI.
Each exactly once."""

import uuid
from datetime import UTC, datetime
from html import escape

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.briefs import brief_html
from activities.channels.deliveries import Prepared, deliver_once, new_delivery
from activities.channels.email import EmailActivities
from domain import variables
from domain.content import sanitize_html
from models.db import session_scope
from models.messages import (
    Channel,
    DeliveryResult,
    EmailMessage,
    EscalationRequest,
    ForTheTeam,
    Sender,
    TicketRequest,
    TimelineEvent,
)
from models.tables import Conversation, Customer, Delivery, HelpdeskDepartment, Location, Operator, ProposedAction
from models.timeline import add_timeline_entry
from providers.helpdesk import HelpDesk, NewTicket, notification, pass_to_ticket, ticket_of


class HelpdeskActivities:
    def __init__(self, engine: Engine, helpdesk: HelpDesk, email: EmailActivities) -> None:
        self._engine = engine
        self._helpdesk = helpdesk
        self._email = email

    @activity.defn
    def open_ticket(self, request: TicketRequest) -> DeliveryResult:
        """Open the ticket and tell the customer; a retry finds what was already done."""

        def prepare(
            session: Session, action: ProposedAction | None, customer: Customer, location: Location
        ) -> Prepared:
            assert action is not None, "a takeover follows its proposal"
            if not customer.email:
                raise ApplicationError(
                    f"Customer {customer.name} has no email address to tell about the ticket; add one first.",
                    type="NoRecipient",
                    non_retryable=True,
                )
            filled = variables.values(customer.name, location.name, action.facts)
            subject = variables.resolve(request.subject, filled, html=False)
            department = session.get(HelpdeskDepartment, request.department_id) if request.department_id else None
            opener = session.get(Operator, request.opened_by) if request.opened_by else None
            ticket = NewTicket(
                ticket_id=request.delivery_id,
                location_id=location.id,
                requester_id=customer.id,
                subject=subject,
                body_html=sanitize_html(variables.resolve(request.body_html, filled, html=True)),
                priority=request.priority,
                department_id=department.id if department else None,
                internal_note=f"<p>{escape(request.internal_notes)}</p>" if request.internal_notes else None,
                author_name=opener.name if opener else location.name,
                proposed_action_id=action.id,
                conversation_id=request.conversation_id,
            )
            where = f" in {department.name}" if department else ""
            row = new_delivery(delivery_id=request.delivery_id, action=action, customer=customer, conversation_id=None,
                               channel=Channel.helpdesk, provider=self._helpdesk.name, to_address=customer.email,
                               from_address=f"{location.name} help desk", subject=subject,
                               body_html=ticket.body_html, message_id=f"ticket-{request.delivery_id}")  # fmt: skip
            note = f"Opened a {request.priority.value}-priority help-desk ticket{where}: {subject}"
            return Prepared(row, note, lambda: self._helpdesk.open_ticket(ticket), self._helpdesk.confirm,
                            Sender.operator)  # fmt: skip

        opened = deliver_once(self._engine, request.delivery_id, request.action_id, request.customer_id, prepare)
        with Session(self._engine) as session:
            row = session.get(Delivery, request.delivery_id)
            assert row is not None and row.provider_message_id is not None, "the ticket was opened"
            number, subject, body_html = row.provider_message_id, row.subject, row.body_html
        told_subject, told_html = notification(number, subject, body_html)
        self._email.send_email(
            EmailMessage(
                delivery_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"ticket-notification:{request.delivery_id}")),
                action_id=request.action_id,
                location_id=request.location_id,
                customer_id=request.customer_id,
                channel=Channel.helpdesk,
                subject=told_subject,
                body_html=told_html,
            )
        )
        return opened

    @activity.defn
    def escalate(self, request: EscalationRequest) -> str:
        """Hand the conversation to the team with the brief, once: a new ticket, or — when the conversation
        already lives in a ticket (a help-desk takeover) — that ticket, back with the team. On the timeline too;
        answers the ticket's number."""
        now = datetime.now(UTC)
        with Session(self._engine) as session:
            location = session.get(Location, request.location_id)
            assert location is not None, "the conversation's location"
            brief = brief_html(session, request, now)
            existing = ticket_of(session, request.action_id, request.conversation_id)
        author = f"{location.name} AI assistant"
        escalation = request.escalation
        if existing is not None and existing.conversation_id == request.conversation_id:
            ticket_id = existing.id
            number = self._helpdesk.hand_back(existing.id, f"{request.ticket_id}:brief", brief, escalation.priority,
                                              author)  # fmt: skip
        else:
            ticket_id = request.ticket_id
            number = self._helpdesk.open_ticket(NewTicket(
                ticket_id=request.ticket_id, location_id=request.location_id, requester_id=request.customer_id,
                subject=request.subject.removeprefix("Re: "), body_html=request.told_customer_html,
                priority=escalation.priority, department_id=None, internal_note=brief, author_name=author,
                proposed_action_id=request.action_id, conversation_id=request.conversation_id,
                escalation_reason=escalation.reason, author=Sender.ai,
            ))  # fmt: skip
        with session_scope(self._engine) as session:
            add_timeline_entry(session, TimelineEvent(
                id=f"escalated:{request.ticket_id}", action_id=request.action_id,
                conversation_id=request.conversation_id, sender=Sender.system,
                body=f"Escalated to the team: ticket {number}, {escalation.priority.value} priority.", at=now,
                ticket_id=ticket_id,
            ))  # fmt: skip
        return number

    @activity.defn
    def pass_to_ticket(self, passed: ForTheTeam) -> None:
        """A message after the escalation: a public comment on the ticket (open again) and on the timeline."""
        with session_scope(self._engine) as session:
            conversation = session.get(Conversation, passed.conversation_id)
            customer = session.get(Customer, conversation.customer_id) if conversation else None
            assert customer is not None, "the conversation's customer"
            pass_to_ticket(session, passed.message, passed.action_id, passed.conversation_id, customer.name)
