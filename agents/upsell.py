"""upsell: a member who comes in N+ days in four weeks on a plan below a better one at their location — offered it,
with the numbers."""

from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import exists, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from agents.base import Agent, Candidates, ComposeContext, Scan, Wording, leaving, make_pattern, visits
from domain.content import format_money
from models.messages import AgentType, Pattern, Priority
from models.tables import Customer, Plan, ProposedAction

# Visits are counted over the last four weeks.
RECENT = timedelta(days=28)


def _source(scan: Scan) -> Candidates:
    current, better = aliased(Plan), aliased(Plan)
    above = exists().where(col(better.location_id) == scan.location.id,
                           col(better.monthly_price_cents) > col(current.monthly_price_cents))  # fmt: skip
    return (
        select(Customer, Customer)
        .join(current, col(current.id) == col(Customer.plan_id))
        .where(
            col(Customer.location_id) == scan.location.id,
            col(Customer.kind) == "member",
            above,
            ~leaving(Customer.id, scan.as_of),
            visits(Customer.id, scan.as_of - RECENT, scan.as_of) >= scan.policy.threshold_days,
        )
    )


def _dedup_key(_scan: Scan) -> Any:
    """One offer per member and plan they are on: a member who moved up can be offered the next one later."""
    return literal(f"{AgentType.upsell.value}:") + col(Customer.id) + literal(":") + col(Customer.plan_id)


def _pattern(scan: Scan, member: Customer, customer: Customer, session: Session) -> Pattern:
    plan = session.get(Plan, member.plan_id)
    assert plan is not None
    better = session.exec(
        select(Plan).where(col(Plan.location_id) == scan.location.id,
                           col(Plan.monthly_price_cents) > plan.monthly_price_cents)
        .order_by(col(Plan.monthly_price_cents))
    ).first()  # fmt: skip
    assert better is not None
    seen = session.exec(select(visits(member.id, scan.as_of - RECENT, scan.as_of))).one()
    price, better_price = (format_money(cents, scan.location.currency)
                           for cents in (plan.monthly_price_cents, better.monthly_price_cents))  # fmt: skip
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.upsell}:{member.id}:{plan.id}",
        reason=f"Came in {seen} of the last 28 days on {plan.name} ({price} a month): {better.name} "
        f"({better_price}) fits how they work.",
        priority=Priority.low,
        facts={
            "plan_id": plan.id,
            "plan_name": plan.name,
            "plan_price": price,
            "better_plan": better.name,
            "better_price": better_price,
            "visits_recent": seen,
            "plans_link": f"{scan.location.portal_url}/plans",
        },
    )


def _resolved(session: Session, action: ProposedAction, at: datetime) -> str | None:
    customer = session.get(Customer, action.customer_id)
    if customer is None or customer.plan_id != action.facts["plan_id"]:
        return "The member changed plans."
    if session.exec(select(leaving(action.customer_id, at))).one():
        return "The member is leaving: they gave notice, or said so."
    return None


def _wording(context: ComposeContext) -> Wording:
    facts = context.facts
    return Wording(
        subject=f"A plan that fits how you work at {context.location_name}",
        paragraphs=[
            f"You were in {context.fact('visits_recent')} of the last 28 days on your {context.fact('plan_name')} "
            f"plan ({context.fact('plan_price')} a month): you're one of our regulars!",
            f"A {context.fact('better_plan')} is {context.fact('better_price')} a month, and might suit you "
            "better. Have a look at the plans below, or reply with any question; nothing changes unless you ask.",
        ],
        link_text="See the plans",
        voice=f"Hi {context.first_name}, this is {context.location_name}. You were in {facts['visits_recent']} of "
        f"the last 28 days on your {facts['plan_name']} plan. A {facts['better_plan']} is {facts['better_price']} a "
        "month and might suit you better. I'll text you a link to the plans; nothing changes unless you ask.",
    )


def _recap(context: ComposeContext) -> str:
    return f"The plans at {escape(context.location_name)}, with their prices, are here:"


AGENT = Agent(
    type=AgentType.upsell,
    description="A member came in N+ of the last 28 days on a plan below a better one at their location.",
    threshold_days=16,
    auto_execute_safe=False,  # an offer is reviewed
    source=_source,
    key=col(Customer.id),
    dedup_key=_dedup_key,
    pattern=_pattern,
    resolved=_resolved,
    link_fact="plans_link",
    wording=_wording,
    recap=_recap,
)
