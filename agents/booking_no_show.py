"""booking_no_show: a member booked a desk or a room N+ days ago (within two weeks) and did not come."""

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from agents.base import Agent, Candidates, ComposeContext, Scan, Wording, dedup, human_date, make_pattern
from models.messages import AgentType, Pattern, Priority
from models.tables import Booking, Customer, ProposedAction, Resource

# A booking missed longer ago than this is not worth asking about.
MISSED_WITHIN = timedelta(days=14)


def _source(scan: Scan) -> Candidates:
    return (
        select(Booking, Customer)
        .join(Resource, col(Resource.id) == col(Booking.resource_id))
        .join(Customer, col(Customer.id) == col(Booking.customer_id))
        .where(
            col(Resource.location_id) == scan.location.id,
            col(Booking.kind) == "booking",
            col(Booking.attended).is_(False),
            col(Booking.ends_at) <= scan.as_of - timedelta(days=scan.policy.threshold_days),
            col(Booking.ends_at) > scan.as_of - MISSED_WITHIN,
        )
    )


def _pattern(scan: Scan, booking: Booking, customer: Customer, session: Session) -> Pattern:
    zone = ZoneInfo(scan.location.time_zone)
    starts, ends = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    resource = session.get(Resource, booking.resource_id)
    facts: dict[str, str | int] = {
        "booking_id": booking.id,
        "resource_name": resource.name if resource else "",
        "booking_date": starts.date().isoformat(),
        "booking_from": f"{starts:%H:%M}",
        "booking_until": f"{ends:%H:%M}",
        "booking_link": f"{scan.location.portal_url}/book",
    }
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.booking_no_show}:{booking.id}",
        reason=f"Booked {facts['resource_name']} on {facts['booking_date']}, {facts['booking_from']} to "
        f"{facts['booking_until']}, and did not come.",
        priority=Priority.low,
        facts=facts,
    )


def _resolved(session: Session, action: ProposedAction, _at: datetime) -> str | None:
    booking = session.get(Booking, str(action.facts["booking_id"]))
    if booking is None or booking.attended is not False:
        return "The booking was kept after all, or is no longer recorded."
    return None


def _when(context: ComposeContext) -> str:
    facts = context.facts
    return f"{human_date(facts['booking_date'])}, {facts['booking_from']} to {facts['booking_until']}"


def _wording(context: ComposeContext) -> Wording:
    resource = context.fact("resource_name")
    return Wording(
        subject=f"We missed you at {context.location_name}",
        paragraphs=[
            f"You had {resource} booked on {escape(_when(context))}, and we didn't see you. We hope all is well!",
            "If plans change, cancelling in the portal frees the place for another member. Your next booking is "
            "a minute away with the link below, and if something kept you away that we can help with, just reply.",
        ],
        link_text="Book again",
        voice=f"Hi {context.first_name}, this is {context.location_name}. You had {context.facts['resource_name']} "
        f"booked on {_when(context)}, and we missed you. We hope all is well! If plans change, cancelling frees "
        "the place for someone else. I'll text you the booking link for next time.",
    )


def _recap(context: ComposeContext) -> str:
    return f"Booking {escape(context.location_name)} again takes a minute here:"


AGENT = Agent(
    type=AgentType.booking_no_show,
    description="A member booked a desk or a room N+ days ago, within two weeks, and did not come.",
    threshold_days=1,
    auto_execute_safe=True,
    source=_source,
    key=col(Booking.id),
    dedup_key=dedup(AgentType.booking_no_show, col(Booking.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="booking_link",
    wording=_wording,
    recap=_recap,
)
