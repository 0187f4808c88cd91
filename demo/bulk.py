"""A large synthetic location for scale runs and benchmarks: many customers with many invoices, a share
of them overdue, a share of the customers opted out, inserted in bulk a batch at a time; and approved
proposals waiting for delivery."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert
from sqlmodel import Session

from domain.ids import outreach_id
from models.db import session_scope
from models.messages import ActionStatus, AgentType, Channel, Pattern, Sender
from models.tables import AgentConfig, Customer, Invoice, Location, ProposedAction, TimelineEntry

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
