"""tour_reminder: a tour of the space starts within N days (the day before, by default): what time, where, how to
move it."""

from datetime import date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from agents.base import (
    Agent,
    Candidates,
    ComposeContext,
    Intent,
    Scan,
    Wording,
    day_pass_bought,
    day_pass_tools,
    dedup,
    human_date,
    make_pattern,
)
from models.messages import AgentType, Pattern, Priority, ToolRequest, ToolStep, TourStatus, TurnOutcome
from models.tables import Customer, ProposedAction, Tour


def _source(scan: Scan) -> Candidates:
    # Tours up to N days ahead on the location's calendar: with N = 1, today's and tomorrow's, whatever the hour.
    horizon = datetime.combine(scan.today + timedelta(days=scan.policy.threshold_days + 1), time(),
                               ZoneInfo(scan.location.time_zone))  # fmt: skip
    return (
        select(Tour, Customer)
        .join(Customer, col(Customer.id) == col(Tour.customer_id))
        .where(
            col(Tour.location_id) == scan.location.id,
            col(Tour.status) == TourStatus.scheduled,
            col(Tour.starts_at) > scan.as_of,
            col(Tour.starts_at) < horizon,
        )
    )


def tour_facts(scan: Scan, tour: Tour) -> dict[str, str | int]:
    """When the tour is (on the location's clock), where, and the link to pick another time."""
    starts = tour.starts_at.astimezone(ZoneInfo(scan.location.time_zone))
    return {
        "tour_id": tour.id,
        "tour_date": starts.date().isoformat(),
        "tour_time": f"{starts:%H:%M}",
        "address": scan.location.address,
        "tour_link": f"{scan.location.portal_url}/tour",
    }


def _pattern(scan: Scan, tour: Tour, customer: Customer, _session: Session) -> Pattern:
    facts = tour_facts(scan, tour)
    today = facts["tour_date"] == scan.today.isoformat()
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.tour_reminder}:{tour.id}",
        reason=f"A tour is booked for {'today' if today else facts['tour_date']} at {facts['tour_time']}.",
        # A tour today is close: a reminder that waits in the inbox is one that comes too late.
        priority=Priority.high if today else Priority.normal,
        facts=facts,
    )


def _resolved(session: Session, action: ProposedAction, at: datetime) -> str | None:
    tour = session.get(Tour, str(action.facts["tour_id"]))
    if tour is None or tour.status is TourStatus.cancelled:
        return "The tour was cancelled."
    if tour.status is not TourStatus.scheduled or tour.starts_at <= at:
        return "The tour has begun: too late to remind of it."
    return None


def _when(context: ComposeContext) -> str:
    return f"{human_date(context.facts['tour_date'])} at {context.facts['tour_time']}"


def _wording(context: ComposeContext) -> Wording:
    when, address = escape(_when(context)), context.fact("address")
    return Wording(
        subject=f"See you soon: your tour of {context.location_name}",
        paragraphs=[
            f"A quick reminder of your tour of {escape(context.location_name)} on <strong>{when}</strong>, at "
            f"{address}. Just ask for us at reception; it takes about half an hour.",
            "If that time no longer suits you, pick another one with the link below, or reply and we'll sort it.",
        ],
        link_text="Pick another time",
        voice=f"Hi {context.first_name}, this is {context.location_name}, with a reminder of your tour on "
        f"{_when(context)}, at {context.facts['address']}. If that time no longer suits you, I'll text you a link "
        "to pick another one. See you soon!",
    )


def _recap(context: ComposeContext) -> str:
    return f"Your tour is on {escape(_when(context))}, at {context.fact('address')}; to pick another time:"


def _tour(context: ComposeContext) -> list[str]:
    return [f"Of course, {escape(context.first_name)}! Your tour is on {escape(_when(context))}; any time that "
            "suits you better, you can pick here:"]  # fmt: skip


def _day_pass(context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    """A day pass naming no day is for the tour's ("can I stay and work after the tour?")."""
    return day_pass_tools(context, message, steps, date.fromisoformat(str(context.facts["tour_date"])))


AGENT = Agent(
    type=AgentType.tour_reminder,
    description="A tour of the space is booked for the next N days (1: tomorrow) and has not been cancelled.",
    threshold_days=1,
    auto_execute_safe=True,
    source=_source,
    key=col(Tour.id),
    dedup_key=dedup(AgentType.tour_reminder, col(Tour.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="tour_link",
    wording=_wording,
    recap=_recap,
    # A yes to the tour is a thank-you the engine closes; its hours or how to get there, the tools answer.
    intents=(
        Intent(
            TurnOutcome.reply, "tour", "Gave the tour's time and the link to pick another.", _tour, times_mean_this=True
        ),
        Intent(
            TurnOutcome.reply,
            "day_pass",
            "The customer asked for a day pass (the tour's day, unless they named another); checked it and bought it.",
            uses=_day_pass,
            answered=day_pass_bought,
        ),
    ),
)
