"""A large synthetic location for scale runs and benchmarks: many customers with many invoices, a share
of them overdue, a share of the customers opted out, inserted in bulk a batch at a time; and approved
proposals waiting for delivery."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, SQLModel

from agents.registry import ROSTER
from domain.ids import outreach_id
from models.db import session_scope
from models.messages import (
    ActionStatus,
    AgentType,
    Channel,
    EscalationReason,
    Pattern,
    Priority,
    Sender,
    TicketStatus,
    TourStatus,
)
from models.tables import (
    AgentConfig,
    Booking,
    CheckIn,
    Contract,
    Customer,
    Invoice,
    LeadInquiry,
    Location,
    Plan,
    ProposedAction,
    Resource,
    Ticket,
    TicketComment,
    TimelineEntry,
    Tour,
)

BATCH = 10_000


def seed_bulk(
    engine: Engine,
    location_id: str,
    customers: int,
    *,
    invoices_per_customer: int = 10,
    overdue_every: int = 2,
    opted_out_every: int = 20,
) -> int:
    """Every `overdue_every`-th customer has one invoice 10 days overdue; the rest are paid. Answers how
    many overdue invoices belong to customers who did not opt out: what detection should propose."""
    with session_scope(engine) as session:
        session.add(
            Location(id=location_id, name=f"Bulk {location_id}", time_zone="Europe/Amsterdam",
                     default_sender_email=f"hello@{location_id}.example", default_sender_name=f"Bulk {location_id}")
        )  # fmt: skip
        session.flush()
        session.add(
            AgentConfig(
                location_id=location_id, agent_type=AgentType.due_invoice, threshold_days=5, daily_max=customers
            )
        )
    today, paid_at = date.today(), datetime.now(UTC) - timedelta(days=40)
    expected = 0
    with Session(engine) as session:
        for start in range(0, customers, BATCH):
            customer_rows, invoice_rows = [], []
            for n in range(start, min(start + BATCH, customers)):
                customer_id, opted_out = f"{location_id}-c{n:07d}", n % opted_out_every == 0
                customer_rows.append(
                    {"id": customer_id, "location_id": location_id, "name": f"Customer {n}", "kind": "member",
                     "email": f"c{n}@mail.example", "opted_out": opted_out}
                )  # fmt: skip
                for i in range(invoices_per_customer):
                    overdue = i == 0 and n % overdue_every == 0
                    expected += overdue and not opted_out
                    due = today - timedelta(days=10 if overdue else 45)
                    invoice_rows.append(
                        {"id": f"{customer_id}-{i}", "location_id": location_id, "customer_id": customer_id,
                         "number": f"INV-{n:07d}-{i}", "amount_cents": 25_000, "currency": "EUR",
                         "issued_on": due - timedelta(days=14), "due_date": due,
                         "paid_at": None if overdue else paid_at, "payment_link": "https://pay.example"}
                    )  # fmt: skip
            session.execute(insert(Customer), customer_rows)
            session.execute(insert(Invoice), invoice_rows)
            session.commit()
    return expected


def add_approved(engine: Engine, patterns: list[Pattern], at: datetime) -> None:
    """Approved, not yet delivered, proposals for `patterns`, as their outreaches record them."""
    with session_scope(engine) as session:
        for pattern in patterns:
            session.add(
                ProposedAction(id=outreach_id(pattern), **ProposedAction.columns_of(pattern),
                               status=ActionStatus.approved, channel=Channel.ai_email, subject="s", body_html="b",
                               body_text="b", created_at=at, expires_at=at + timedelta(days=3))
            )  # fmt: skip


def seed_proposals(engine: Engine, location_id: str, count: int, *, now: datetime | None = None) -> list[str]:
    """A location whose inbox holds `count` proposals of every status, one customer each, as their outreaches
    record them (a draft of a realistic length, facts, a reason); answers the ids of the pending ones."""
    now = now or datetime.now(UTC)
    statuses = list(ActionStatus)
    body = "<p>Hello,</p>" + "<p>A friendly reminder about your invoice, with the link to pay it online.</p>" * 8
    with session_scope(engine) as session:
        session.add(
            Location(id=location_id, name=f"Inbox {location_id}", time_zone="Europe/Amsterdam",
                     default_sender_email=f"hello@{location_id}.example", default_sender_name=f"Inbox {location_id}")
        )  # fmt: skip
    pending: list[str] = []
    with Session(engine) as session:
        for start in range(0, count, BATCH):
            customer_rows, action_rows, entry_rows = [], [], []
            for n in range(start, min(start + BATCH, count)):
                customer_id, status = f"{location_id}-c{n:07d}", statuses[n % len(statuses)]
                action_id = f"outreach:{location_id}:due_invoice:{customer_id}"
                if status is ActionStatus.pending:
                    pending.append(action_id)
                created_at = now - timedelta(minutes=count - n)
                customer_rows.append(
                    {"id": customer_id, "location_id": location_id, "name": f"Customer {n}", "kind": "member",
                     "email": f"c{n}@mail.example"}
                )  # fmt: skip
                action_rows.append(
                    {"id": action_id, "location_id": location_id, "agent_type": AgentType.due_invoice,
                     "dedup_key": f"due_invoice:{customer_id}", "customer_id": customer_id, "status": status,
                     "channel": Channel.ai_email, "subject": f"Invoice INV-{n:07d} is overdue", "body_html": body,
                     "body_text": body, "reason": f"Invoice INV-{n:07d} of EUR 250.00 is 10 days overdue.",
                     "confidence": 80, "confidence_reasons": ["Customer has paid late before"],
                     "facts": {"invoice_number": f"INV-{n:07d}", "amount": "EUR 250.00", "days_overdue": 10},
                     "created_at": created_at, "expires_at": created_at + timedelta(days=3)}
                )  # fmt: skip
                entry_rows.append(
                    {"id": f"{action_id}:proposed", "proposed_action_id": action_id, "sender": Sender.system,
                     "body": "Proposed: the invoice is overdue.", "at": created_at}
                )  # fmt: skip
            session.execute(insert(Customer), customer_rows)
            session.execute(insert(ProposedAction), action_rows)
            session.execute(insert(TimelineEntry), entry_rows)
            session.commit()
    return pending


def seed_activity(engine: Engine, location_id: str, customers: int, *, today: date, days: int = 365) -> dict[str, int]:
    """A location with `customers` customers and `days` of what every agent reads: members (four in five) with a
    plan, a contract ending some day in the next year, a monthly invoice (every seventh member's last one overdue), a
    booking a month (every tenth not kept; every ninth member never booked) and check-ins every one to seven days
    (every sixth member stopped coming a month ago, another sixth comes a third as often of late); leads with an
    inquiry in the last two months and a tour (taken, booked or missed); the rest contacts; a year of members'
    help-desk tickets in five categories, one of them rising this week; and members' questions the team answered.
    Every agent is set up there. Answers how many rows of each kind it wrote."""
    start = datetime.combine(today, datetime.min.time(), UTC)
    with session_scope(engine) as session:
        session.add(Location(id=location_id, name=f"Bulk {location_id}", time_zone="UTC",
                             default_sender_email=f"hello@{location_id}.example",
                             default_sender_name=f"Bulk {location_id}"))  # fmt: skip
        session.flush()
        session.add_all([
            Plan(id=f"{location_id}-flex", location_id=location_id, name="Flex", monthly_price_cents=25_000),
            Plan(id=f"{location_id}-fixed", location_id=location_id, name="Fixed", monthly_price_cents=42_500),
            Resource(id=f"{location_id}-room", location_id=location_id, name="Room", kind="meeting_room"),
        ])  # fmt: skip
        session.add_all(AgentConfig(location_id=location_id, agent_type=agent.type,
                                    threshold_days=agent.threshold_days, default_channel=agent.channel,
                                    daily_max=customers) for agent in ROSTER.values())  # fmt: skip
    written = {
        "customers": 0,
        "check-ins": 0,
        "bookings": 0,
        "invoices": 0,
        "contracts": 0,
        "leads": 0,
        "tours": 0,
        "tickets": 0,
    }
    with Session(engine) as session:
        for first in range(0, customers, BATCH // 100):
            rows: dict[type[SQLModel], list[dict[str, Any]]] = {table: [] for table in
                                                                 (Customer, Contract, Invoice, Booking, CheckIn,
                                                                  LeadInquiry, Tour, Ticket)}  # fmt: skip
            for n in range(first, min(first + BATCH // 100, customers)):
                customer_id = f"{location_id}-c{n:07d}"
                kind = "member" if n % 5 else "lead" if n % 10 else "contact"
                rows[Customer].append({"id": customer_id, "location_id": location_id, "name": f"Customer {n}",
                                       "kind": kind, "email": f"c{n}@mail.example", "opted_out": n % 20 == 1,
                                       "plan_id": f"{location_id}-flex" if kind == "member" else None,
                                       "joined_on": today - timedelta(days=days) if kind == "member" else None,
                                       })  # fmt: skip
                if kind == "member":
                    _member_year(rows, location_id, customer_id, n, today, start, days)
                    if n % 8 == 2:
                        rows[Ticket].append(_help_desk_ticket(location_id, customer_id, n, start, days))
                elif kind == "lead":
                    inquired = start - timedelta(days=n % 60, hours=3)
                    rows[LeadInquiry].append({"id": customer_id, "location_id": location_id,
                                              "customer_id": customer_id, "inquired_at": inquired,
                                              "message": f"A desk for {n % 7 + 1} people?"})  # fmt: skip
                    status = (TourStatus.attended, TourStatus.scheduled, TourStatus.no_show)[n // 60 % 3]
                    rows[Tour].append({"id": customer_id, "location_id": location_id, "customer_id": customer_id,
                                       "starts_at": inquired + timedelta(days=7), "status": status,
                                       "updated_at": inquired})  # fmt: skip
            for table, table_rows in rows.items():
                if table_rows:
                    session.execute(insert(table), table_rows)
            session.commit()
            for name, table in (("customers", Customer), ("check-ins", CheckIn), ("bookings", Booking),
                                ("invoices", Invoice), ("contracts", Contract), ("leads", LeadInquiry),
                                ("tours", Tour), ("tickets", Ticket)):  # fmt: skip
                written[name] += len(rows[table])
    with session_scope(engine) as session:
        _asked_the_team(session, location_id, customers, start)
    return written


# The help desk's categories, a member's ticket in one of them now and then; this week, Wi-Fi trouble.
CATEGORIES = ("wi-fi", "cleaning", "access", "billing", "noise")


def _help_desk_ticket(location_id: str, customer_id: str, n: int, start: datetime, days: int) -> dict[str, Any]:
    spike = n // 8 % 40 == 0
    opened = start - timedelta(days=n % 7 if spike else n * 7 % days, hours=1)
    return {"id": f"{location_id}-h{n:07d}", "number": f"T-{location_id}-{n}", "location_id": location_id,
            "requester_id": customer_id, "subject": "A problem at the space", "status": TicketStatus.solved,
            "priority": Priority.normal, "category": "wi-fi" if spike else CATEGORIES[n // 8 % len(CATEGORIES)],
            "created_at": opened, "updated_at": opened}  # fmt: skip


# Questions members asked that the AI could not answer, three ways each: the FAQ gap agent's work.
ASKED = (("Can I store my bike inside?", "Where can I store my bike?", "Is there a place to store bikes?"),
         ("Can I have parcels delivered here?", "Can my packages be sent to this address?",
          "Will you accept a package for me?"),
         ("Is there a printer?", "Where can I print something?", "Can I print documents here?"))  # fmt: skip


def _asked_the_team(session: Session, location_id: str, customers: int, start: datetime) -> None:
    """A few hundred members' chats handed to the team as outside what the AI answers, one in four answered."""
    for n in range(1, min(customers, 1_500), 5):  # members only (every fifth customer is not one)
        customer_id, ticket_id = f"{location_id}-c{n:07d}", f"{location_id}-t{n:07d}"
        asked = start - timedelta(days=n % 25, hours=2)
        question = ASKED[n % len(ASKED)][n // len(ASKED) % 3]
        session.add(TimelineEntry(id=f"{ticket_id}-q", conversation_id=f"chat:{customer_id}", sender=Sender.customer,
                                  channel=Channel.chat, body=question, at=asked))  # fmt: skip
        session.add(Ticket(id=ticket_id, number=f"T-{n:07d}", location_id=location_id, requester_id=customer_id,
                           subject="Members' chat", status=TicketStatus.open, priority=Priority.normal,
                           conversation_id=f"chat:{customer_id}", escalation_reason=EscalationReason.outside_scope,
                           created_at=asked + timedelta(seconds=5), updated_at=asked))  # fmt: skip
        if n % 4 == 0:
            session.flush()
            session.add(TicketComment(id=f"{ticket_id}-a", ticket_id=ticket_id, author=Sender.operator,
                                      author_name="Team", body_html=f"<p>The answer to: {question}</p>", public=True,
                                      created_at=asked + timedelta(hours=1)))  # fmt: skip


def _member_year(rows: dict[type[SQLModel], list[dict[str, Any]]], location_id: str, customer_id: str, n: int,
                 today: date, start: datetime, days: int) -> None:  # fmt: skip
    """One member's year: their contract, invoices, bookings and check-ins."""
    rows[Contract].append({"id": customer_id, "location_id": location_id, "customer_id": customer_id,
                           "plan_id": f"{location_id}-flex", "starts_on": today - timedelta(days=days),
                           "ends_on": today + timedelta(days=n % 365), "renewed": False,
                           "cancelled": n % 50 == 3})  # fmt: skip
    booked = n % 9 != 4  # every ninth member never booked
    for month in range(days // 30):
        due = today - timedelta(days=30 * month + 5)
        overdue = month == 0 and n % 7 == 2
        rows[Invoice].append({"id": f"{customer_id}-i{month}", "location_id": location_id, "customer_id": customer_id,
                              "number": f"INV-{n:07d}-{month}", "amount_cents": 25_000, "currency": "EUR",
                              "issued_on": due - timedelta(days=14), "due_date": due,
                              "paid_at": None if overdue else datetime.combine(due, datetime.min.time(), UTC),
                              "payment_link": "https://pay.example"})  # fmt: skip
        at = start - timedelta(days=30 * month + n % 28, hours=10)
        if booked:
            rows[Booking].append({"id": f"{customer_id}-b{month}", "customer_id": customer_id,
                                  "resource_id": f"{location_id}-room", "starts_at": at,
                                  "ends_at": at + timedelta(hours=2), "kind": "booking",
                                  "attended": (n + month) % 10 != 1})  # fmt: skip
    stopped = 30 if n % 6 == 0 else 0
    slowing = n % 6 == 3  # of late, a third of their usual visits
    gap = 1 + n % 7
    for day in range(stopped + n % gap, days, gap):
        if slowing and day < 28 and day // gap % 3:
            continue
        rows[CheckIn].append({"id": f"{customer_id}-v{day}", "location_id": location_id, "customer_id": customer_id,
                              "at": start - timedelta(days=day, hours=14), "source": "door"})  # fmt: skip
