"""The brief an escalation ticket carries, so the team can answer without asking the customer anything again:
why it came to them, a summary, what the AI tried (each tool with what it found), the whole transcript, the
channel, and who the customer is (open invoices, bookings, contract and plan, tenure)."""

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from domain.content import format_money
from models.messages import Channel, EscalationRequest, Sender
from models.tables import (
    Booking,
    Contract,
    Customer,
    Invoice,
    Location,
    Plan,
    ProposedAction,
    Resource,
    TimelineEntry,
)

_WHO = {Sender.customer: "Customer", Sender.ai: "AI", Sender.operator: "Team"}


def brief_html(session: Session, request: EscalationRequest, now: datetime) -> str:
    """The ticket's internal note (HTML, every value escaped)."""
    action = session.get(ProposedAction, request.action_id) if request.action_id else None
    customer = session.get(Customer, request.customer_id)
    location = session.get(Location, request.location_id)
    assert customer is not None and location is not None, "the conversation's records"
    # The outreach's whole story (the outreach itself included); a members' chat is its conversation alone.
    mine = (col(TimelineEntry.proposed_action_id) == action.id if action
            else col(TimelineEntry.conversation_id) == request.conversation_id)  # fmt: skip
    entries = session.exec(
        select(TimelineEntry)
        .where(mine, col(TimelineEntry.sender) != Sender.system)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    ).all()
    # The transcript: what was said, both ways (the outreach itself included); tool steps are listed apart.
    said = [entry for entry in entries if entry.tool is None and (entry.delivery_id or entry.sender is Sender.customer
                                                                   or entry.channel is Channel.chat)]  # fmt: skip
    tools = [entry for entry in entries if entry.tool is not None]
    zone = ZoneInfo(location.time_zone)
    asked = [entry.body for entry in said if entry.sender is Sender.customer]
    escalation = request.escalation
    transcript = [
        f"{entry.at.astimezone(zone):%Y-%m-%d %H:%M} {_WHO.get(entry.sender, entry.sender.value)}"
        + (f" ({entry.channel.value})" if entry.channel else "")
        + f": {entry.body}"
        for entry in said
    ]
    why = f"Outreach: {action.reason}" if action else "A members' chat the customer started."
    summary = (
        f"{why} The customer wrote {len(asked)} time{'s' if len(asked) != 1 else ''} on "
        f"{request.channel.value}; last: “{_first_line(asked[-1]) if asked else ''}”."
    )
    parts = [
        f"<p><strong>Escalated by the AI</strong> ({escape(escalation.reason.value)}, "
        f"{escape(escalation.priority.value)} priority): {escape(escalation.detail)}</p>",
        f"<p><strong>Summary.</strong> {escape(summary)}</p>",
        "<p><strong>What the AI tried.</strong></p>",
        _list([entry.body for entry in tools] or ["No tools."]),
        f"<p><strong>Transcript</strong> ({escape(request.channel.value)}).</p>",
        _list(transcript),
        "<p><strong>Customer.</strong></p>",
        _list(customer_profile(session, customer, location, now)),
    ]
    return "".join(parts)


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item).replace(chr(10), '<br>')}</li>" for item in items) + "</ul>"


def customer_profile(session: Session, customer: Customer, location: Location, now: datetime) -> list[str]:
    """Who the customer is to the space, in lines."""
    zone = ZoneInfo(location.time_zone)
    today = now.astimezone(zone).date()
    contact = ", ".join(value for value in (customer.email, customer.mobile_phone) if value)
    lines = [f"{customer.name} ({customer.kind}{f', {customer.company}' if customer.company else ''}): {contact}"]
    if customer.joined_on:
        months = (today.year - customer.joined_on.year) * 12 + today.month - customer.joined_on.month
        lines.append(f"Member since {customer.joined_on.isoformat()} ({months} months).")
    plan = session.get(Plan, customer.plan_id) if customer.plan_id else None
    if plan:
        lines.append(f"Plan: {plan.name}, {format_money(plan.monthly_price_cents, location.currency)} a month.")
    contract = session.exec(
        select(Contract).where(col(Contract.customer_id) == customer.id).order_by(col(Contract.ends_on).desc())
    ).first()
    if contract:
        state = "renewed" if contract.renewed else "cancelled" if contract.cancelled else "not renewed yet"
        lines.append(f"Contract: {contract.starts_on.isoformat()} to {contract.ends_on.isoformat()}, {state}.")
    invoices = session.exec(
        select(Invoice)
        .where(col(Invoice.customer_id) == customer.id, col(Invoice.paid_at).is_(None))
        .order_by(col(Invoice.due_date))
    ).all()
    lines += [
        f"Open invoice {invoice.number}: {format_money(invoice.amount_cents, invoice.currency)}, due "
        f"{invoice.due_date.isoformat()}" + (f" ({(today - invoice.due_date).days} days overdue)."
                                             if invoice.due_date < today else ".")
        for invoice in invoices
    ] or ["No open invoices."]  # fmt: skip
    bookings = session.exec(
        select(Booking, Resource)
        .join(Resource, col(Resource.id) == col(Booking.resource_id))
        .where(col(Booking.customer_id) == customer.id, col(Booking.starts_at) >= now - timedelta(days=30))
        .order_by(col(Booking.starts_at))
    ).all()
    recent = sum(1 for booking, _ in bookings if booking.starts_at < now)
    upcoming = [f"{resource.name} on {booking.starts_at.astimezone(zone):%Y-%m-%d %H:%M}"
                for booking, resource in bookings if booking.starts_at >= now][:3]  # fmt: skip
    lines.append(f"Bookings: {recent} in the last 30 days; upcoming: {', '.join(upcoming) or 'none'}.")
    return lines
