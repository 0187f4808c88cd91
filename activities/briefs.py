"""The brief an escalation ticket carries, so the team can answer without asking the customer anything again:
why it came to them, a summary, what the AI tried (each tool with what it found), the whole transcript, the
channel, and who the customer is (open invoices, bookings, contract and plan, tenure)."""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.messages import Channel, EscalationRequest, Sender
from models.tables import Customer, Location, ProposedAction, TimelineEntry
from safeguards.customer_history import customer_history

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
    """Who the customer is to the space, in lines: their history as the inbox shows it."""
    history = customer_history(session, customer, location, now)
    zone = ZoneInfo(location.time_zone)
    contact = ", ".join(value for value in (customer.email, customer.mobile_phone) if value)
    lines = [f"{customer.name} ({customer.kind}{f', {customer.company}' if customer.company else ''}): {contact}"]
    if history.member_since:
        lines.append(f"Member since {history.member_since} ({history.months_with_us} months).")
    if history.plan:
        lines.append(f"Plan: {history.plan}.")
    if history.contract:
        lines.append(f"Contract: {history.contract}.")
    lines += [
        f"Open invoice {invoice.number}: {invoice.amount}, due {invoice.due_on}"
        + (f" ({invoice.days_overdue} days overdue)." if invoice.days_overdue else ".")
        for invoice in history.invoices if invoice.paid_at is None
    ] or ["No open invoices."]  # fmt: skip
    recent = sum(1 for booking in history.bookings if booking.starts_at < now)
    upcoming = [f"{booking.resource} on {booking.starts_at.astimezone(zone):%Y-%m-%d %H:%M}"
                for booking in history.bookings if booking.starts_at >= now][:3]  # fmt: skip
    lines.append(f"Bookings: {recent} in the last 30 days; upcoming: {', '.join(upcoming) or 'none'}.")
    return lines
