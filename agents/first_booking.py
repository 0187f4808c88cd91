"""first_booking: a member joined N+ days ago and never made a booking."""

from datetime import datetime, timedelta
from html import escape

from sqlmodel import Session, col, select

from agents.base import (
    Agent,
    Candidates,
    ComposeContext,
    Intent,
    Scan,
    Wording,
    dedup,
    has_booked,
    human_date,
    make_pattern,
)
from models.messages import AgentType, Pattern, Priority, TurnOutcome
from models.tables import Customer, ProposedAction


def _source(scan: Scan) -> Candidates:
    cutoff = scan.today - timedelta(days=scan.policy.threshold_days)
    return select(Customer, Customer).where(
        col(Customer.location_id) == scan.location.id,
        col(Customer.kind) == "member",
        col(Customer.joined_on) <= cutoff,
        ~has_booked(Customer.id),
    )


def _pattern(scan: Scan, member: Customer, customer: Customer, _session: Session) -> Pattern:
    assert member.joined_on is not None
    days = (scan.today - member.joined_on).days
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.first_booking}:{member.id}",
        reason=f"Joined {days} days ago ({member.joined_on.isoformat()}) and has not made a booking yet.",
        priority=Priority.low,
        facts={
            "join_date": member.joined_on.isoformat(),
            "days_since_joining": days,
            "booking_link": f"{scan.location.portal_url}/book",
        },
    )


def _resolved(session: Session, action: ProposedAction, _at: datetime) -> str | None:
    if session.exec(select(has_booked(action.customer_id))).one():
        return "The member has made a booking."
    return None


def _wording(context: ComposeContext) -> Wording:
    facts = context.facts
    return Wording(
        subject=f"Ready for your first booking at {context.location_name}?",
        paragraphs=[
            f"Welcome again to {escape(context.location_name)}! You joined on "
            f"{escape(human_date(facts['join_date']))}, and we noticed you haven't booked a desk or a meeting "
            "room yet.",
            "Booking takes seconds with the link below. If anything is unclear or you'd like a walk-through, "
            "reply and we'll help.",
        ],
        link_text="Make my first booking",
        voice=f"Hi {context.first_name}, this is {context.location_name}. Welcome again! We noticed you haven't "
        "made your first booking yet. Can we help you get started? I'll text you the booking link, and "
        "we're glad to show you around.",
    )


def _recap(context: ComposeContext) -> str:
    return f"Booking a desk or a meeting room at {escape(context.location_name)} takes seconds here:"


def _walk_through(context: ComposeContext) -> list[str]:
    return [
        f"Of course, {escape(context.first_name)}! Choose a desk or a room, pick the time, and confirm; "
        "that's all there is to it.",
        "You can make your first booking here:",
    ]


AGENT = Agent(
    type=AgentType.first_booking,
    description="A member joined N+ days ago and never made a booking.",
    threshold_days=7,
    auto_execute_safe=True,
    source=_source,
    key=col(Customer.id),
    dedup_key=dedup(AgentType.first_booking, col(Customer.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="booking_link",
    wording=_wording,
    recap=_recap,
    intents=(
        Intent(
            TurnOutcome.reply,
            "link",
            "Explained how to book and sent the booking link.",
            _walk_through,
        ),
    ),
)
