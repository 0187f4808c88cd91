"""contract_renewal: a contract ends within N days and is neither renewed nor cancelled."""

from datetime import datetime
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
    ending_within,
    human_date,
    leaving,
    make_pattern,
    price_lists,
    prices_and_viewing,
    viewing,
)
from domain.content import format_money
from models.messages import AgentType, Pattern, Priority, ToolStep, TurnOutcome
from models.tables import Contract, Customer, Plan, ProposedAction


def _source(scan: Scan) -> Candidates:
    return (
        select(Contract, Customer)
        .join(Customer, col(Customer.id) == col(Contract.customer_id))
        .where(
            *ending_within(scan, scan.policy.threshold_days),
            ~leaving(Customer.id, scan.as_of),  # said they will not renew: the team's to confirm, not ours to push
        )
    )


def _pattern(scan: Scan, contract: Contract, customer: Customer, session: Session) -> Pattern:
    plan = session.get(Plan, contract.plan_id)
    days = (contract.ends_on - scan.today).days
    priority = Priority.critical if days <= 7 else Priority.high if days <= 14 else Priority.normal
    plan_name = plan.name if plan else "membership"
    return make_pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.contract_renewal}:{contract.id}",
        reason=f"The {plan_name} contract ends in {days} days ({contract.ends_on.isoformat()}) "
        "and is neither renewed nor cancelled.",
        priority=priority,
        facts={
            "contract_id": contract.id,
            "plan_name": plan_name,
            "monthly_price": format_money(plan.monthly_price_cents, scan.location.currency) if plan else "",
            "end_date": contract.ends_on.isoformat(),
            "days_left": days,
            "renewal_link": f"{scan.location.portal_url}/renew/{contract.id}",
        },
    )


def _resolved(session: Session, action: ProposedAction, at: datetime) -> str | None:
    contract = session.get(Contract, str(action.facts["contract_id"]))
    if contract is not None and contract.renewed:
        return "The contract has been renewed."
    if contract is not None and contract.cancelled:
        return "The contract has been cancelled."
    if session.exec(select(leaving(action.customer_id, at))).one():
        return "The member said they will not renew."
    return None


def _wording(context: ComposeContext) -> Wording:
    facts = context.facts
    plan, end = context.fact("plan_name"), escape(human_date(facts["end_date"]))
    price = f" at {context.fact('monthly_price')} a month" if facts.get("monthly_price") else ""
    return Wording(
        subject=f"Your {facts['plan_name']} membership ends on {human_date(facts['end_date'])}",
        paragraphs=[
            f"Your <strong>{plan}</strong> membership{price} ends on <strong>{end}</strong>, "
            f"{context.fact('days_left')} days from now, and we'd love to keep you with us.",
            "Renewing takes a minute with the link below. If you'd like to change plans or talk it over, "
            "just reply to this email.",
        ],
        link_text="Renew my membership",
        voice=f"Hi {context.first_name}, this is {context.location_name}. Your {facts['plan_name']} membership "
        f"ends on {human_date(facts['end_date'])}, and we'd love to keep you. Would you like to renew? "
        "I'll text you a renewal link, and we're happy to talk about other plans too.",
    )


def _recap(context: ComposeContext) -> str:
    end = escape(human_date(context.facts["end_date"]))
    return f"Your {context.fact('plan_name')} membership ends on {end}; you can renew it here:"


def _offer(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The private offices and plans with their prices, as the tools found them, and where to book a viewing."""
    first = escape(context.first_name)
    prices = steps[0].result
    if not prices.ok:
        return [f"I couldn't look our prices up just now, {first}; our team can go through the options with you."]
    offices, plans = price_lists(prices.content)
    ends = human_date(str(context.facts["end_date"]))
    at, link = viewing(steps)
    lines = [f"Great question, {first}! Your {context.fact('plan_name')} plan runs until {ends}. These private "
             f"offices are available{escape(at)}:", offices,
             "And our plans, for comparison:", plans]  # fmt: skip
    if link:
        lines.append(f'<a href="{escape(link, quote=True)}">Book a viewing</a> and we will show '
                     "you around, or reply here with any question.")  # fmt: skip
    return lines


AGENT = Agent(
    type=AgentType.contract_renewal,
    description="A contract ends within N days and is neither renewed nor cancelled.",
    threshold_days=30,
    auto_execute_safe=True,
    source=_source,
    key=col(Contract.id),
    dedup_key=dedup(AgentType.contract_renewal, col(Contract.id)),
    pattern=_pattern,
    resolved=_resolved,
    link_fact="renewal_link",
    wording=_wording,
    recap=_recap,
    intents=(
        Intent(
            TurnOutcome.reply,
            "prices",
            "Listed the private offices and plans with their prices, and the link to book a viewing.",
            uses=prices_and_viewing,
            answered=_offer,
        ),
    ),
)
