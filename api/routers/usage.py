"""What composition costs: tokens and estimated cost per agent per day."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from api.auth import location_filter
from api.deps import CurrentOperator, SessionDep
from api.schemas import UsageRow
from models.messages import AgentType
from models.tables import ProposedAction

router = APIRouter(prefix="/api/usage", tags=["usage"])


@router.get("", response_model=list[UsageRow])
def usage(
    session: SessionDep,
    operator: CurrentOperator,
    location_id: str | None = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> list[UsageRow]:
    """Per agent and day, newest first: proposals, model drafts, fallbacks, tokens and cost."""
    since = datetime.now(UTC) - timedelta(days=days)
    rows = session.exec(
        select(ProposedAction).where(
            location_filter(operator, ProposedAction.location_id, location_id),
            col(ProposedAction.created_at) >= since,
        )
    ).all()
    totals: dict[tuple[str, AgentType], UsageRow] = {}
    for row in rows:
        key = (row.created_at.astimezone(UTC).date().isoformat(), row.agent_type)
        total = totals.get(key) or UsageRow(
            day=key[0], agent_type=row.agent_type, proposals=0, model_drafts=0, fallbacks=0,
            prompt_tokens=0, completion_tokens=0, cost_usd=0.0,
        )  # fmt: skip
        total.proposals += 1
        total.model_drafts += row.composed_by != "offline"
        total.fallbacks += row.fallback_reason is not None
        total.prompt_tokens += row.prompt_tokens
        total.completion_tokens += row.completion_tokens
        total.cost_usd += row.cost_usd
        totals[key] = total
    return sorted(totals.values(), key=lambda total: (total.day, total.agent_type), reverse=True)
