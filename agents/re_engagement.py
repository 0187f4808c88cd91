"""re_engagement: a member who used to come in has not been seen for N+ days — a nudge back, or the first sign
of a problem (a badge that stopped working) for the team."""

from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from agents.base import Agent, Candidates, ComposeContext, Scan, Wording, dedup, human_date, leaving, make_pattern
from models.messages import AgentType, Pattern, Priority
from models.tables import CheckIn, Contract, Customer, ProposedAction

# A member whose contract ends within this is at risk of leaving: not being seen matters more.
ENDS_SOON = timedelta(days=60)


def _last(field: str) -> Any:
    """SQL for a field of the member's last visit, read from their own visits by index (never the location's whole
    history): a member whose last visit is old is the situation, their last visit its key."""
    seen = aliased(CheckIn)
    last = select(getattr(seen, field)).where(col(seen.customer_id) == Customer.id).order_by(col(seen.at).desc())
    # The member of the scan however deep it sits: in the dedup key it is read inside the check for an earlier
    # proposal, where the customers are one query up.
    return last.limit(1).correlate(Customer).scalar_subquery()


def _source(scan: Scan) -> Candidates:
    return select(Customer, Customer).where(
        col(Customer.location_id) == scan.location.id,
        col(Customer.kind) == "member",
        _last("at") <= scan.as_of - timedelta(days=scan.policy.threshold_days),
        ~leaving(Customer.id, scan.as_of),  # a member on their way out is not nudged back in
    )


def _pattern(scan: Scan, _member: Customer, customer: Customer, session: Session) -> Pattern:
    visit = session.exec(
        select(CheckIn).where(col(CheckIn.customer_id) == customer.id).order_by(col(CheckIn.at).desc()).limit(1)
    ).one()
    last_visit = visit.at.astimezone(ZoneInfo(scan.location.time_zone)).date()
    days = (scan.today - last_visit).days
    ends = session.exec(
        select(func.min(Contract.ends_on)).where(
            col(Contract.customer_id) == customer.id, col(Contract.ends_on) >= scan.today,
            col(Contract.renewed).is_(False),
        )
    ).one()  # fmt: skip
    ending = ends is not None and ends - scan.today <= ENDS_SOON
    reason = f"Last seen {days} days ago ({last_visit.isoformat()})"
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.re_engagement}:{visit.id}",
        reason=f"{reason}; their contract ends on {ends.isoformat()}." if ending and ends else f"{reason}.",
        priority=Priority.normal if ending else Priority.low,
        facts={
            "check_in_id": visit.id,
            "last_visit": last_visit.isoformat(),
            "days_since_visit": days,
            "booking_link": f"{scan.location.portal_url}/book",
        },
    )


def _resolved(session: Session, action: ProposedAction, at: datetime) -> str | None:
    if session.exec(select(leaving(action.customer_id, at))).one():
        return "The member is leaving: they gave notice, or said so."
    visit = session.get(CheckIn, str(action.facts["check_in_id"]))
    if visit is None:
        return "The visit it was about is no longer recorded."
    if session.exec(
        select(exists().where(col(CheckIn.customer_id) == action.customer_id, col(CheckIn.at) > visit.at))
    ).one():
        return "The member has been in since."
    return None


def _wording(context: ComposeContext) -> Wording:
    last = escape(human_date(context.facts["last_visit"]))
    return Wording(
        subject=f"We miss you at {context.location_name}",
        paragraphs=[
            f"We haven't seen you at {escape(context.location_name)} since {last}, and wanted to check in. "
            "Is everything working for you: your access, the Wi-Fi, the desks?",
            "If something stands in the way, reply and we'll sort it out. And when you're ready to come back, "
            "booking a desk or a room takes a minute:",
        ],
        link_text="Book a desk or a room",
        voice=f"Hi {context.first_name}, this is {context.location_name}. We haven't seen you since "
        f"{human_date(context.facts['last_visit'])} and wanted to check everything works for you, your access "
        "included. If something is in the way, tell us and we'll sort it. I'll text you the booking link.",
    )


def _recap(context: ComposeContext) -> str:
    return f"Booking a desk or a room at {escape(context.location_name)} takes a minute here:"


AGENT = Agent(
    type=AgentType.re_engagement,
    description="A member who used to come in has not checked in for N+ days.",
    threshold_days=14,
    auto_execute_safe=True,
    source=_source,
    key=col(Customer.id),
    dedup_key=dedup(AgentType.re_engagement, _last("id")),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="booking_link",
    wording=_wording,
    recap=_recap,
)
