"""The daily maximum per agent and location, counted in the location's local day: detection counts the
proposals made today, the check before send counts the deliveries claimed today."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.business_hours import local_day_start
from models.messages import ActionStatus, AgentType
from models.tables import Location, ProposedAction


def _count(session: Session, location: Location, agent_type: AgentType, *conditions: Any) -> int:
    return session.exec(
        select(func.count())
        .select_from(ProposedAction)
        .where(
            col(ProposedAction.location_id) == location.id, col(ProposedAction.agent_type) == agent_type, *conditions
        )
    ).one()


def proposed_today_before(session: Session, location: Location, agent_type: AgentType, as_of: datetime) -> int:
    """Proposals this agent made at this location earlier on the local day of `as_of`, before it."""
    created = col(ProposedAction.created_at)
    return _count(session, location, agent_type, created >= local_day_start(as_of, location.time_zone), created < as_of)


def claimed_today(session: Session, location: Location, agent_type: AgentType, at: datetime, action_id: str) -> int:
    """Other outreaches of this agent at this location claimed for delivery on the local day of `at`."""
    return _count(
        session,
        location,
        agent_type,
        col(ProposedAction.delivery_claimed_at) >= local_day_start(at, location.time_zone),
        col(ProposedAction.id) != action_id,
        col(ProposedAction.status) != ActionStatus.failed,  # nothing went out
    )
