"""Agent configuration per location, and the dry run: what would this agent propose now?"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import Session, col, select

from agents.preview import preview
from api.auth import location_filter
from api.deps import AgentManager, CurrentOperator, SessionDep
from api.queries import visible_location
from api.schemas import AgentConfigPublic, AgentConfigUpdate
from domain.channels import proposal_refusal
from models.messages import AgentPreview, AgentType
from models.tables import AgentConfig

router = APIRouter(prefix="/api/agents", tags=["agents"])

LocationQuery = Annotated[str, Query(description="The location whose agent this is")]


def _config(session: Session, location_id: str, agent_type: AgentType) -> AgentConfig:
    config = session.exec(
        select(AgentConfig).where(
            col(AgentConfig.location_id) == location_id, col(AgentConfig.agent_type) == agent_type
        )
    ).first()
    if config is None:
        raise HTTPException(404, detail=f"The {agent_type.value} agent is not set up at location {location_id!r}.")
    return config


@router.get("", response_model=list[AgentConfigPublic])
def list_agents(session: SessionDep, operator: CurrentOperator, location_id: str | None = None) -> list[AgentConfig]:
    """Every agent of the operator's locations."""
    return list(
        session.exec(
            select(AgentConfig)
            .where(location_filter(operator, AgentConfig.location_id, location_id))
            .order_by(col(AgentConfig.location_id), col(AgentConfig.agent_type))
        ).all()
    )


@router.get("/{agent_type}", response_model=AgentConfigPublic)
def get_agent(
    agent_type: AgentType, location_id: LocationQuery, session: SessionDep, operator: CurrentOperator
) -> AgentConfig:
    visible_location(session, operator, location_id)
    return _config(session, location_id, agent_type)


@router.put("/{agent_type}", response_model=AgentConfigPublic)
def update_agent(
    agent_type: AgentType,
    location_id: LocationQuery,
    changes: AgentConfigUpdate,
    session: SessionDep,
    operator: AgentManager,
) -> AgentConfig:
    """Change an agent's configuration; the next detection run applies it."""
    location = visible_location(session, operator, location_id)
    config = _config(session, location_id, agent_type)
    values = changes.model_dump(exclude_unset=True)
    refused = proposal_refusal(values.get("default_channel", config.default_channel), location.voice_enabled)
    if refused:
        raise HTTPException(422, detail=refused)
    config.sqlmodel_update(values)
    session.add(config)
    session.commit()
    session.refresh(config)
    return config


@router.post("/{agent_type}/preview", response_model=AgentPreview)
def preview_agent(
    agent_type: AgentType, location_id: LocationQuery, session: SessionDep, operator: CurrentOperator
) -> AgentPreview:
    """A dry run: the proposals the agent would make now, and how many each safeguard holds back.
    Nothing is written and no workflow starts."""
    location = visible_location(session, operator, location_id)
    return preview(session, location, _config(session, location_id, agent_type), datetime.now(UTC))
