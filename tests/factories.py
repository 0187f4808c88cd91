"""Small, explicit space data for focused tests (the demo seed serves the end-to-end ones)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from activities.channels.email import Mailboxes, ReplyAddresses
from agents.policy import agent_policy
from agents.scan import scan_page, start_scan
from domain.business_hours import OpeningHours
from domain.dates import mentioned_day
from domain.mail_hosts import Allowlist
from models.db import session_scope
from models.messages import (
    ActionStatus,
    AgentPolicy,
    AgentType,
    Channel,
    ConversationStatus,
    Draft,
    OutreachInput,
    OutreachState,
    Priority,
    ProposalRecord,
    Sender,
    StatusChange,
    TicketStatus,
    TimelineEvent,
)
from models.tables import AgentConfig, Conversation, Customer, Invoice, Location, Ticket
from providers.mail_servers import MailServerRules
from providers.smtp import SmtpMailer

LOCATION_ID = "loc-test"
# How the tests' email activities sign reply addresses.
REPLIES = ReplyAddresses("test-reply-secret", timedelta(days=90))
# The `email` channel with no relay: the location default goes to the sandbox outbox.
MAILBOXES = Mailboxes(SmtpMailer(MailServerRules(Allowlist(), None)), relay=None)
BASE_URL = "http://127.0.0.1:8000"  # where the web app is, for the links activities make


def add_location(
    engine: Engine,
    location_id: str = LOCATION_ID,
    *,
    time_zone: str = "Europe/Amsterdam",
    business_hours: dict[str, list[list[str]]] | None = None,
    closures: list[str] | None = None,
    voice_enabled: bool = False,
) -> None:
    with session_scope(engine) as session:
        session.add(
            Location(
                id=location_id,
                name=f"Test Space {location_id}",
                time_zone=time_zone,
                default_sender_email=f"hello@{location_id}.example",
                default_sender_name=f"Test Space {location_id}",
                persona_signature="The Test Space team",
                business_hours=business_hours or {},
                closures=closures or [],
                voice_enabled=voice_enabled,
            )
        )
        session.flush()
        session.add(AgentConfig(location_id=location_id, agent_type=AgentType.due_invoice, threshold_days=5))


def add_customer(
    engine: Engine,
    customer_id: str,
    *,
    location_id: str = LOCATION_ID,
    name: str = "Ada Lovelace",
    email: str | None = "ada@mail.example",
    mobile_phone: str | None = None,
    opted_out: bool = False,
    kind: str = "member",
) -> None:
    with session_scope(engine) as session:
        session.add(
            Customer(
                id=customer_id,
                location_id=location_id,
                name=name,
                email=email,
                mobile_phone=mobile_phone,
                opted_out=opted_out,
                kind=kind,
            )
        )


def add_invoice(
    engine: Engine,
    number: str,
    customer_id: str,
    *,
    due: date,
    amount_cents: int = 123_456,
    location_id: str = LOCATION_ID,
    paid: bool = False,
) -> None:
    with session_scope(engine) as session:
        session.add(
            Invoice(
                id=f"{location_id}-{number}",
                location_id=location_id,
                customer_id=customer_id,
                number=number,
                amount_cents=amount_cents,
                currency="EUR",
                issued_on=due - timedelta(days=14),
                due_date=due,
                paid_at=datetime.combine(due, time(12), UTC) if paid else None,
                payment_link=f"https://pay.example/{number}",
            )
        )


def configure(engine: Engine, location_id: str = LOCATION_ID, **fields: Any) -> None:
    """Change the location's due_invoice agent config, as an operator would between detection runs."""
    with session_scope(engine) as session:
        config = session.exec(select(AgentConfig).where(AgentConfig.location_id == location_id)).one()
        for name, value in fields.items():
            setattr(config, name, value)


def policy(engine: Engine, location_id: str = LOCATION_ID, **overrides: Any) -> AgentPolicy:
    with Session(engine) as session:
        config = session.exec(select(AgentConfig).where(AgentConfig.location_id == location_id)).one()
        location = session.get(Location, location_id)
        assert location is not None
        return agent_policy(config, location).model_copy(update=overrides)


def overdue_invoice_input(
    engine: Engine, number: str = "INV-1", *, location: dict[str, Any] | None = None, **policy_overrides: Any
) -> OutreachInput:
    """A location, a customer and an invoice 10 days overdue, detected by the real detector."""
    add_location(engine, **(location or {}))
    add_customer(engine, "cust-1", mobile_phone="+31612345678")
    add_invoice(engine, number, "cust-1", due=date.today() - timedelta(days=10))
    chosen = policy(engine, **policy_overrides)
    with Session(engine) as session:
        scan = start_scan(session, LOCATION_ID, chosen, datetime.now(UTC))
        assert scan is not None
        [pattern] = scan_page(session, scan, None, 10, 0).patterns
    return OutreachInput(pattern=pattern, policy=chosen)


def proposal(engine: Engine) -> StatusChange:
    """A recorded-to-be proposal for an overdue invoice of customer cust-1."""
    pattern = overdue_invoice_input(engine).pattern
    now = datetime.now(UTC)
    action_id = "outreach:loc-test:due_invoice:INV-1"
    return StatusChange(
        record=ProposalRecord(
            action_id=action_id,
            pattern=pattern,
            state=OutreachState(
                status=ActionStatus.pending,
                draft=Draft(channel=Channel.ai_email, subject="S", body_html="<p>B</p>", body_text="B"),
                created_at=now,
                expires_at=now,
            ),
        ),
        entry=TimelineEvent(id="entry-1", action_id=action_id, sender=Sender.system, body="Proposed", at=now),
    )


def next_open_weekday(location: Location) -> tuple[str, date]:
    """The first of "next Tuesday", "next Wednesday", … the location is open on, and its date on the location's
    calendar today: a holiday can fall on next Tuesday, and a test that asks for it must not fail that week."""
    hours = OpeningHours(location.time_zone, location.business_hours, frozenset(location.closures))
    today = hours.local(datetime.now(UTC)).date()
    for name in ("Tuesday", "Wednesday", "Thursday", "Monday", "Friday"):
        day = mentioned_day(f"next {name}", today)
        if day is not None and hours.windows(day):
            return f"next {name}", day
    raise AssertionError(f"{location.id} is open on no weekday next week")


def add_open_matter(engine: Engine, customer_id: str, kind: str, at: datetime) -> str:
    """A matter the team has open with the customer: an escalated conversation or an open help-desk ticket; its id."""
    with session_scope(engine) as session:
        if kind == "conversation":
            row: Any = Conversation(
                id=f"conversation:{customer_id}", location_id=LOCATION_ID, customer_id=customer_id,
                channel=Channel.ai_email, subject="Invoice INV-1", status=ConversationStatus.escalated,
                started_at=at, updated_at=at,
            )  # fmt: skip
        else:
            row = Ticket(
                id=f"ticket:{customer_id}", number="T-0001", location_id=LOCATION_ID, requester_id=customer_id,
                subject="Invoice INV-1", status=TicketStatus.open, priority=Priority.high, created_at=at, updated_at=at,
            )  # fmt: skip
        session.add(row)
        return str(row.id)


def solve_ticket_of(engine: Engine, conversation_id: str) -> None:
    """The team solved the ticket the conversation's escalation opened."""
    with session_scope(engine) as session:
        session.add(
            Ticket(id=f"ticket-of:{conversation_id}", number="T-0002", location_id=LOCATION_ID,
                   requester_id=conversation_id.removeprefix("conversation:"), subject="Escalated",
                   status=TicketStatus.solved, priority=Priority.high, conversation_id=conversation_id,
                   created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
        )  # fmt: skip


def close_matter(engine: Engine, matter_id: str) -> None:
    with session_scope(engine) as session:
        conversation, ticket = session.get(Conversation, matter_id), session.get(Ticket, matter_id)
        if conversation is not None:
            conversation.status = ConversationStatus.closed
        if ticket is not None:
            ticket.status = TicketStatus.solved
