"""What composition costs: tokens and estimated cost per agent per day."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy
from fastapi import APIRouter, Query
from sqlalchemy import case, func
from sqlmodel import Session, col

from api.auth import location_filter
from api.deps import CurrentOperator, SessionDep
from api.schemas import UsageRow
from models.tables import ProposedAction

router = APIRouter(prefix="/api/usage", tags=["usage"])


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC date of a timestamp as YYYY-MM-DD, in the database's own words: PostgreSQL keeps the instant,
    SQLite the UTC wall clock as text."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)


@router.get("", response_model=list[UsageRow])
def usage(
    session: SessionDep,
    operator: CurrentOperator,
    location_id: str | None = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> list[UsageRow]:
    """Per agent and day, newest first: proposals, model drafts, fallbacks, tokens and cost — summed by the
    database, so a year of proposals is never loaded into memory."""
    since = datetime.now(UTC) - timedelta(days=days)
    day = _utc_day(session, col(ProposedAction.created_at)).label("day")
    agent_type = col(ProposedAction.agent_type)
    # Eight columns: SQLModel's select types at most four, so SQLAlchemy's own.
    totals = session.execute(
        sqlalchemy.select(
            day,
            agent_type,
            func.count(),
            func.sum(case((col(ProposedAction.composed_by) != "offline", 1), else_=0)),
            func.count(col(ProposedAction.fallback_reason)),
            func.sum(col(ProposedAction.prompt_tokens)),
            func.sum(col(ProposedAction.completion_tokens)),
            func.sum(col(ProposedAction.cost_usd)),
        )
        .where(
            location_filter(operator, ProposedAction.location_id, location_id), col(ProposedAction.created_at) >= since
        )
        .group_by(day, agent_type)
        .order_by(day.desc(), agent_type.desc())
    ).all()
    return [
        UsageRow(
            day=on,
            agent_type=agent,
            proposals=proposals,
            model_drafts=drafts,
            fallbacks=fallbacks,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=cost,
        )
        for on, agent, proposals, drafts, fallbacks, prompt, completion, cost in totals
    ]
