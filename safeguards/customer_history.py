"""The customer's history in one read: who they are to the space (plan, contract, tenure), the recent outreach
and what became of it, their conversations and tickets, invoices and payments, bookings — and the matter the team
has open with them, which holds every outreach. The inbox's panel and the escalation brief show the same thing."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from domain.content import format_money
from models.messages import (
    CustomerHistory,
    PastBooking,
    PastConversation,
    PastInvoice,
    PastOutreach,
    PastTicket,
)
from models.tables import (
    Booking,
    Contract,
    Conversation,
    Customer,
    Invoice,
    Location,
    Plan,
    ProposedAction,
    Resource,
    Ticket,
)
from safeguards.open_matters import open_matters

RECENT = 10  # of each kind
PAID_SHOWN = timedelta(days=180)
BOOKED_SHOWN = timedelta(days=30)
BOOKINGS_SHOWN = 50  # a month of a busy member's bookings, and what is coming


def customer_history(session: Session, customer: Customer, location: Location, now: datetime) -> CustomerHistory:
    today = now.astimezone(ZoneInfo(location.time_zone)).date()
    plan = session.get(Plan, customer.plan_id) if customer.plan_id else None
    contract = session.exec(
        select(Contract).where(col(Contract.customer_id) == customer.id).order_by(col(Contract.ends_on).desc())
    ).first()
    months = None
    if customer.joined_on:
        months = (today.year - customer.joined_on.year) * 12 + today.month - customer.joined_on.month
    outreach = session.exec(
        select(ProposedAction)
        .where(col(ProposedAction.customer_id) == customer.id)
        .order_by(col(ProposedAction.created_at).desc(), col(ProposedAction.id).desc())
        .limit(RECENT)
    ).all()
    conversations = session.exec(
        select(Conversation)
        .where(col(Conversation.customer_id) == customer.id)
        .order_by(col(Conversation.updated_at).desc())
        .limit(RECENT)
    ).all()
    tickets = session.exec(
        select(Ticket)
        .where(col(Ticket.requester_id) == customer.id)
        .order_by(col(Ticket.created_at).desc())
        .limit(RECENT)
    ).all()
    invoices = session.exec(
        select(Invoice)
        .where(col(Invoice.customer_id) == customer.id,
               or_(col(Invoice.paid_at).is_(None), col(Invoice.paid_at) >= now - PAID_SHOWN))
        .order_by(col(Invoice.paid_at).is_not(None), col(Invoice.due_date).desc())
        .limit(RECENT)
    ).all()  # fmt: skip
    bookings = session.exec(
        select(Booking, Resource)
        .join(Resource, col(Resource.id) == col(Booking.resource_id))
        .where(col(Booking.customer_id) == customer.id, col(Booking.starts_at) >= now - BOOKED_SHOWN)
        .order_by(col(Booking.starts_at))
        .limit(BOOKINGS_SHOWN)
    ).all()
    state = None
    if contract:
        done = "renewed" if contract.renewed else "cancelled" if contract.cancelled else "not renewed yet"
        state = f"{contract.starts_on.isoformat()} to {contract.ends_on.isoformat()}, {done}"
    return CustomerHistory(
        customer_id=customer.id, name=customer.name, kind=customer.kind, company=customer.company,
        email=customer.email, mobile_phone=customer.mobile_phone, opted_out=customer.opted_out,
        time_zone=location.time_zone, member_since=customer.joined_on.isoformat() if customer.joined_on else None,
        months_with_us=months, contract=state,
        plan=f"{plan.name}, {format_money(plan.monthly_price_cents, location.currency)} a month" if plan else None,
        open_matter=open_matters(session, [customer.id], now).get(customer.id),
        outreach=[
            PastOutreach(id=action.id, agent_type=action.agent_type, status=action.status, channel=action.channel,
                         priority=action.priority, reason=action.reason, created_at=action.created_at,
                         sent_at=action.sent_at, why_not=action.cancel_reason or action.reject_reason
                         or action.held_reason)
            for action in outreach
        ],
        conversations=[
            PastConversation(id=talk.id, status=talk.status, channel=talk.channel, subject=talk.subject,
                             started_at=talk.started_at, updated_at=talk.updated_at)
            for talk in conversations
        ],
        tickets=[
            PastTicket(id=ticket.id, number=ticket.number, status=ticket.status, priority=ticket.priority,
                       subject=ticket.subject, created_at=ticket.created_at)
            for ticket in tickets
        ],
        invoices=[
            PastInvoice(number=invoice.number, amount=format_money(invoice.amount_cents, invoice.currency),
                        due_on=invoice.due_date.isoformat(), paid_at=invoice.paid_at,
                        days_overdue=0 if invoice.paid_at else max((today - invoice.due_date).days, 0))
            for invoice in invoices
        ],
        bookings=[PastBooking(resource=resource.name, starts_at=booking.starts_at, ends_at=booking.ends_at)
                  for booking, resource in bookings],
    )  # fmt: skip
