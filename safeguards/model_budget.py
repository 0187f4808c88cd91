"""A location's monthly model budget: what its model calls may cost in its own calendar month.

Every call is written down with its cost as it is made — billed whether or not its answer was used — and before a
call the month's spend so far is held against the ceiling: the location's own `llm_monthly_budget_usd`, else
OUTREACH_LLM_MONTHLY_BUDGET_USD; 0 sets none. Once it is spent, no model is called there until the next month:
drafts come from the offline composer and conversations go to the team. Calls already under way when it is reached
may pass it by their own cost.
"""

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.business_hours import local_month_start
from models.tables import Location, ModelSpend
from providers.llm import Usage

DRAFT = "draft"
CONVERSATION = "conversation"


def spent_this_month(session: Session, location: Location, now: datetime) -> float:
    """What the location's model calls have cost since its local month began (USD)."""
    since = local_month_start(now, location.time_zone)
    return session.exec(
        select(func.coalesce(func.sum(ModelSpend.cost_usd), 0.0)).where(
            col(ModelSpend.location_id) == location.id, col(ModelSpend.at) >= since
        )
    ).one()


def spent(session: Session, location: Location, default_usd: float, now: datetime) -> str | None:
    """Why no model may be called for the location now, in a sentence for the team; None while there is budget."""
    ceiling = default_usd if location.llm_monthly_budget_usd is None else location.llm_monthly_budget_usd
    if not ceiling:
        return None
    so_far = spent_this_month(session, location, now)
    if so_far < ceiling:
        return None
    month = f"{local_month_start(now, location.time_zone):%B %Y}"
    return f"The AI's monthly model budget for {location.name} is spent: {_usd(so_far)} of {_usd(ceiling)} in {month}."


def _usd(amount: float) -> str:
    """Dollars and cents; a fraction of a cent (a small test budget) to the digits that show it."""
    return f"${amount:,.2f}" if amount >= 0.01 else f"${amount:.6g}"


def record(session: Session, location_id: str, usage: Usage, purpose: str, reference: str, at: datetime) -> None:
    """Write down one model call and what it cost (a retried activity's call is another call, billed again)."""
    if usage == Usage():
        return  # no answer, no bill (a timeout, a refused request)
    session.add(
        ModelSpend(
            id=str(uuid.uuid4()),
            location_id=location_id,
            at=at,
            purpose=purpose,
            reference=reference,
            **usage.model_dump(),
        )
    )
