"""lead_follow_up: a lead inquired N+ days ago and was never followed up, toured, booked or converted."""

from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists
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
    has_booked,
    human_date,
    leaving,
    make_pattern,
    price_lists,
    price_lookup,
    viewing,
)
from models.messages import AgentType, Pattern, Priority, ToolRequest, ToolStep, TourStatus, TurnOutcome
from models.tables import Customer, LeadInquiry, ProposedAction, Tour


def _source(scan: Scan) -> Candidates:
    cutoff = scan.as_of - timedelta(days=scan.policy.threshold_days)
    return (
        select(LeadInquiry, Customer)
        .join(Customer, col(Customer.id) == col(LeadInquiry.customer_id))
        .where(
            col(LeadInquiry.location_id) == scan.location.id,
            col(LeadInquiry.inquired_at) <= cutoff,
            col(LeadInquiry.followed_up_at).is_(None),
            col(LeadInquiry.converted).is_(False),
            ~has_booked(Customer.id),
            ~_has_tour(Customer.id),
            ~leaving(Customer.id, scan.as_of),  # said they chose another space
        )
    )


def _has_tour(customer_id: Any) -> Any:
    """A tour booked or taken: the lead is followed up by the tour (and the tour agents)."""
    return exists().where(
        col(Tour.customer_id) == customer_id, col(Tour.status).in_([TourStatus.scheduled, TourStatus.attended])
    )


def _pattern(scan: Scan, inquiry: LeadInquiry, customer: Customer, _session: Session) -> Pattern:
    days = (scan.as_of - inquiry.inquired_at).days
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.lead_follow_up}:{inquiry.id}",
        reason=f"Inquired {days} days ago and was never followed up, booked or converted.",
        priority=Priority.high if days <= 14 else Priority.normal,
        facts={
            "inquiry_id": inquiry.id,
            "inquiry_date": inquiry.inquired_at.astimezone(ZoneInfo(scan.location.time_zone)).date().isoformat(),
            "inquiry_message": inquiry.message,
            "days_since_inquiry": days,
            "tour_link": f"{scan.location.portal_url}/tour",
        },
    )


def _resolved(session: Session, action: ProposedAction, at: datetime) -> str | None:
    inquiry = session.get(LeadInquiry, str(action.facts["inquiry_id"]))
    if inquiry is not None and (inquiry.followed_up_at is not None or inquiry.converted):
        return "The lead has been followed up."
    if session.exec(select(has_booked(action.customer_id))).one():
        return "The lead has made a booking."
    if session.exec(select(_has_tour(action.customer_id))).one():
        return "The lead has booked a tour."
    if session.exec(select(leaving(action.customer_id, at))).one():
        return "The lead said they chose another space."
    return None


def _delivered(session: Session, facts: dict[str, Any], at: datetime) -> None:
    """Our outreach is the follow-up: the inquiry no longer waits for one."""
    inquiry = session.get(LeadInquiry, str(facts["inquiry_id"]))
    if inquiry is not None and inquiry.followed_up_at is None:
        inquiry.followed_up_at = at
        session.add(inquiry)


def _wording(context: ComposeContext) -> Wording:
    facts = context.facts
    asked = escape(str(facts["inquiry_message"]))
    return Wording(
        subject=f"Following up on your inquiry at {context.location_name}",
        paragraphs=[
            f"Thanks for reaching out to {escape(context.location_name)} on "
            f"{escape(human_date(facts['inquiry_date']))}, and sorry we haven't come back to you sooner. "
            f"You wrote: <em>“{asked}”</em>",
            "The best way to see if we fit is a quick tour: pick a time that suits you below, or reply with your "
            "questions and we'll answer them right away.",
        ],
        link_text="Book a tour",
        voice=f"Hi {context.first_name}, this is {context.location_name}. You asked us about working here "
        f"on {human_date(facts['inquiry_date'])}, and we wanted to follow up. Would you like to come by for a "
        "tour? I'll text you a link to pick a time that suits you.",
    )


def _recap(context: ComposeContext) -> str:
    return (
        f"You asked us about working at {escape(context.location_name)}. The quickest way to see if we fit is a "
        "tour; pick a time that suits you here:"
    )


def _day_pass(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The day pass, or — no day named yet — its price, which day, and a tour to see the space first."""
    if steps[-1].result.name == "plans_and_prices":
        tour = f'<a href="{context.fact("tour_link")}">pick a time for a tour</a>'
        return [*day_pass_bought(context, steps), f"Or, to see the space first, {tour}."]
    return day_pass_bought(context, steps)


def _price_lookup(context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    return [] if steps else [price_lookup(context, message)]


def _prices(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The offices and plans with their prices, as the tool found them, and the tour to see them (at another of our
    locations, booked in its portal)."""
    first = escape(context.first_name)
    [prices] = (step.result for step in steps)
    at, there = viewing(steps)
    link = escape(there, quote=True) if at and there else context.fact("tour_link")
    tour = f'<a href="{link}">pick a time for a tour</a>'
    if not prices.ok:
        return [f"I couldn't look our prices up just now, {first}; {tour} and we'll go through them with you."]
    offices, plans = price_lists(prices.content)
    day_pass = prices.content.get("day_pass")
    return [f"Happy to help, {first}! Our private offices{escape(at)}:", offices, "And our memberships:", plans,
            f"Or try us for a day: a day pass is {escape(day_pass)}." if day_pass else "",
            f"The best way to choose is to see them: {tour}. Or just reply with any question."]  # fmt: skip


def _tour(context: ComposeContext) -> list[str]:
    return [
        f"Wonderful, {escape(context.first_name)}! We'd love to show you around {escape(context.location_name)}.",
        "Pick any time that suits you here:",
    ]


AGENT = Agent(
    type=AgentType.lead_follow_up,
    description="A lead inquired N+ days ago and was never followed up, toured, booked or converted.",
    threshold_days=7,
    auto_execute_safe=False,
    source=_source,
    key=col(LeadInquiry.id),
    dedup_key=dedup(AgentType.lead_follow_up, col(LeadInquiry.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="tour_link",
    wording=_wording,
    recap=_recap,
    intents=(
        Intent(
            TurnOutcome.reply,
            "prices",
            "Listed the private offices and plans with their prices, and the tour link.",
            uses=_price_lookup,
            answered=_prices,
        ),
        Intent(
            TurnOutcome.reply,
            "day_pass",
            "The lead asked for a day pass; checked the day and bought it.",
            uses=day_pass_tools,
            answered=_day_pass,
        ),
        Intent(
            TurnOutcome.reply,
            "tour",
            "The lead wants to visit; sent the tour link.",
            _tour,
        ),
    ),
    delivered=_delivered,
)
