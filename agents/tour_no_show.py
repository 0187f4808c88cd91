"""tour_no_show: someone missed their tour N+ days ago (within the month) and has booked no other since."""

from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from agents.base import Agent, Candidates, ComposeContext, Intent, Scan, Wording, dedup, human_date, make_pattern
from agents.tour_reminder import tour_facts
from models.messages import AgentType, Pattern, Priority, TourStatus, TurnOutcome
from models.tables import Customer, ProposedAction, Tour

# A tour missed longer ago than this is an old lead's matter (the lead follow-up's), not a missed appointment's.
MISSED_WITHIN = timedelta(days=30)


def _later_tour(customer_id: Any, after: Any) -> Any:
    """Another tour of the customer's, booked or taken, after this one."""
    later = aliased(Tour)
    return exists().where(
        col(later.customer_id) == customer_id,
        col(later.starts_at) > after,
        col(later.status).in_([TourStatus.scheduled, TourStatus.attended]),
    )


def _source(scan: Scan) -> Candidates:
    return (
        select(Tour, Customer)
        .join(Customer, col(Customer.id) == col(Tour.customer_id))
        .where(
            col(Tour.location_id) == scan.location.id,
            col(Tour.status) == TourStatus.no_show,
            col(Tour.starts_at) <= scan.as_of - timedelta(days=scan.policy.threshold_days),
            col(Tour.starts_at) > scan.as_of - MISSED_WITHIN,
            col(Customer.kind) != "member",
            ~_later_tour(Customer.id, Tour.starts_at),
        )
    )


def _pattern(scan: Scan, tour: Tour, customer: Customer, _session: Session) -> Pattern:
    facts = tour_facts(scan, tour)
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.tour_no_show}:{tour.id}",
        reason=f"Missed their tour on {facts['tour_date']} at {facts['tour_time']} and has booked no other.",
        priority=Priority.normal,
        facts=facts,
    )


def _resolved(session: Session, action: ProposedAction, _at: datetime) -> str | None:
    tour, customer = session.get(Tour, str(action.facts["tour_id"])), session.get(Customer, action.customer_id)
    if customer is not None and customer.kind == "member":
        return "The customer has become a member."
    if tour is not None and session.exec(select(_later_tour(tour.customer_id, tour.starts_at))).one():
        return "The customer has booked another tour."
    return None


def _wording(context: ComposeContext) -> Wording:
    when = f"{human_date(context.facts['tour_date'])} at {context.facts['tour_time']}"
    return Wording(
        subject=f"We missed you at {context.location_name}",
        paragraphs=[
            f"We were looking forward to showing you around {escape(context.location_name)} on "
            f"{escape(when)}, and we're sorry it didn't work out. These things happen!",
            "If you'd still like to see the space, pick another time with the link below; or reply with any "
            "question and we'll answer it right away.",
        ],
        link_text="Book another tour",
        voice=f"Hi {context.first_name}, this is {context.location_name}. We missed you at your tour on {when}, "
        "no problem at all. Would you like to pick another time? I'll text you a link to choose one.",
    )


def _recap(context: ComposeContext) -> str:
    return f"You can still see {escape(context.location_name)}; pick another time for a tour here:"


def _tour(context: ComposeContext) -> list[str]:
    return [f"Wonderful, {escape(context.first_name)}! Pick any time that suits you here:"]


AGENT = Agent(
    type=AgentType.tour_no_show,
    description="Someone missed their tour N+ days ago, within the month, and has booked no other since.",
    threshold_days=1,
    auto_execute_safe=True,
    source=_source,
    key=col(Tour.id),
    dedup_key=dedup(AgentType.tour_no_show, col(Tour.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="tour_link",
    wording=_wording,
    recap=_recap,
    intents=(
        Intent(
            TurnOutcome.reply, "tour", "The customer wants another tour; sent the link.", _tour, times_mean_this=True
        ),
    ),
)
