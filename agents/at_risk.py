"""at_risk: a member whose visits fell to half their own usual or less, with their contract ending within N days —
asked, before they decide not to renew, whether something could be better."""

from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlmodel import Session, col, select

from agents.base import (
    Agent,
    Candidates,
    ComposeContext,
    Scan,
    Wording,
    dedup,
    ending_within,
    human_date,
    make_pattern,
    visits,
)
from models.messages import AgentType, Pattern, Priority
from models.tables import Contract, Customer, Plan, ProposedAction

# Visits are counted over the last four weeks, against the eight weeks before them.
RECENT = timedelta(days=28)
USUAL = timedelta(days=56)
# Fewer visits than this in the eight weeks before are too few to call a habit.
HABIT = 6


def visit_counts(scan: Scan, customer_id: Any) -> tuple[Any, Any]:
    """SQL for a member's visits in the last four weeks, and in the eight weeks before."""
    since = scan.as_of - RECENT
    return visits(customer_id, since, scan.as_of), visits(customer_id, since - USUAL, since)


def _source(scan: Scan) -> Candidates:
    recent, before = visit_counts(scan, Customer.id)
    return (
        select(Contract, Customer)
        .join(Customer, col(Customer.id) == col(Contract.customer_id))
        .where(
            *ending_within(scan, scan.policy.threshold_days),
            col(Customer.kind) == "member",
            before >= HABIT,
            recent * 4 <= before,  # half their usual four weeks' visits, or fewer
            recent > 0,  # not seen at all: the re-engagement agent's
        )
    )


def _pattern(scan: Scan, contract: Contract, customer: Customer, session: Session) -> Pattern:
    recent, before = (session.exec(select(count)).one() for count in visit_counts(scan, customer.id))
    usual = round(before / 2)
    plan = session.get(Plan, contract.plan_id)
    days = (contract.ends_on - scan.today).days
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.at_risk}:{contract.id}",
        reason=f"Came in {recent} times in the last four weeks, against {usual} usually; their contract ends in {days} "
        f"days ({contract.ends_on.isoformat()}).",
        priority=Priority.high if days <= 30 else Priority.normal,
        facts={
            "contract_id": contract.id,
            "plan_name": plan.name if plan else "",
            "end_date": contract.ends_on.isoformat(),
            "visits_recent": recent,
            "visits_usual": usual,
            "booking_link": f"{scan.location.portal_url}/book",
        },
    )


def _resolved(session: Session, action: ProposedAction, _at: datetime) -> str | None:
    contract = session.get(Contract, str(action.facts["contract_id"]))
    if contract is None or contract.renewed or contract.cancelled:
        return "The contract was renewed or cancelled."
    return None


def _wording(context: ComposeContext) -> Wording:
    facts = context.facts
    end = human_date(facts["end_date"])
    return Wording(
        subject=f"How is {context.location_name} working for you?",
        paragraphs=[
            f"We've noticed you've been in less often lately: {context.fact('visits_recent')} times in the last "
            f"four weeks, where you usually come about {context.fact('visits_usual')} times. Is everything working "
            "for you: your access, the Wi-Fi, the desks, the quiet?",
            f"Your {context.fact('plan_name')} plan runs until {escape(end)}. If something could be better, or "
            "another plan would suit you now, just reply; and when you're next in, booking takes a minute:",
        ],
        link_text="Book a desk or a room",
        voice=f"Hi {context.first_name}, this is {context.location_name}. We've noticed you've been in less often "
        f"lately, and wanted to ask whether everything works for you. Your {facts['plan_name']} plan runs until "
        f"{end}; if something could be better, or another plan would suit you now, tell us and we'll sort it.",
    )


def _recap(context: ComposeContext) -> str:
    return f"Booking a desk or a room at {escape(context.location_name)} takes a minute here:"


AGENT = Agent(
    type=AgentType.at_risk,
    description="A member's visits fell to half their usual or less, and their contract ends within N days.",
    threshold_days=60,
    # What to say to a member who may be leaving is the team's to judge.
    auto_execute_safe=False,
    source=_source,
    key=col(Contract.id),
    dedup_key=dedup(AgentType.at_risk, col(Contract.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="booking_link",
    wording=_wording,
    recap=_recap,
)
