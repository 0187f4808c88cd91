"""Agent configuration per location, and the dry run: what would this agent propose now?"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from sqlmodel import Session, col, select

from agents.preview import preview
from agents.registry import ROSTER
from api.auth import location_filter
from api.deps import AgentManager, CurrentOperator, SessionDep
from api.queries import visible_location
from api.schemas import AgentConfigPublic, AgentConfigUpdate
from conversation import understanding
from domain.channels import proposal_refusal
from models.messages import AgentCategory, AgentPreview, AgentType
from models.tables import AgentConfig, Location

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


def public(config: AgentConfig) -> AgentConfigPublic:
    """The agent's settings at the location, and what it is."""
    agent = ROSTER[config.agent_type]
    return AgentConfigPublic(
        **config.model_dump(), category=agent.category, description=agent.description,
        auto_execute_safe=agent.auto_execute_safe,
    )  # fmt: skip


@router.get("", response_model=list[AgentConfigPublic])
def list_agents(
    session: SessionDep, operator: CurrentOperator, location_id: str | None = None
) -> list[AgentConfigPublic]:
    """Every agent of the operator's locations: its settings, category (proposals for customers or for the team),
    what it watches for, and whether it may send without review."""
    configs = session.exec(
        select(AgentConfig)
        .where(location_filter(operator, AgentConfig.location_id, location_id))
        .order_by(col(AgentConfig.location_id), col(AgentConfig.agent_type))
    ).all()
    return [public(config) for config in configs]


@router.get("/{agent_type}", response_model=AgentConfigPublic)
def get_agent(
    agent_type: AgentType, location_id: LocationQuery, session: SessionDep, operator: CurrentOperator
) -> AgentConfigPublic:
    visible_location(session, operator, location_id)
    return public(_config(session, location_id, agent_type))


@router.put("/{agent_type}", response_model=AgentConfigPublic)
def update_agent(
    agent_type: AgentType,
    location_id: LocationQuery,
    changes: AgentConfigUpdate,
    session: SessionDep,
    operator: AgentManager,
) -> AgentConfigPublic:
    """Change an agent's configuration; the next detection run applies it."""
    location = visible_location(session, operator, location_id)
    config = _config(session, location_id, agent_type)
    config.sqlmodel_update(_values(config, location, changes))
    session.add(config)
    session.commit()
    session.refresh(config)
    return public(config)


def _values(config: AgentConfig, location: Location, changes: AgentConfigUpdate) -> dict[str, Any]:
    """The settings a change sets, if the agent may have them at the location (422 in words if not)."""
    values = {name: value for name, value in changes.model_dump(exclude_unset=True).items() if value is not None}
    agent = ROSTER[config.agent_type]
    channel = values.get("default_channel", config.default_channel)
    refused = proposal_refusal(channel, location.voice_enabled, agent.category is AgentCategory.team)
    if values.get("auto_execute") and not agent.auto_execute_safe:
        refused = f"The {config.agent_type.value} agent's proposals always need review: it cannot auto-execute."
    if refused:
        raise HTTPException(422, detail=refused)
    return values


@router.post("/{agent_type}/preview", response_model=AgentPreview)
def preview_agent(
    agent_type: AgentType,
    location_id: LocationQuery,
    session: SessionDep,
    operator: CurrentOperator,
    trying: Annotated[AgentConfigUpdate | None, Body(description="Settings to try, unsaved: the form as typed")] = None,
) -> AgentPreview:
    """A dry run: the proposals the agent would make now — with its saved settings, or with those given, as if
    saved — and how many each safeguard holds back. Nothing is written and no workflow starts."""
    location = visible_location(session, operator, location_id)
    config = _config(session, location_id, agent_type)
    if trying is not None:
        config = AgentConfig(**{**config.model_dump(), **_values(config, location, trying)})  # a copy, never saved
    return preview(session, location, config, datetime.now(UTC), understanding.groups)
