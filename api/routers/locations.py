"""The operator's locations and the safeguards that hold there for every agent: the minimum gap between two
outreaches to a customer, their contact budget, and quiet hours per channel on the customer's clock."""

from fastapi import APIRouter
from sqlmodel import col, select

from api.auth import location_filter
from api.deps import AgentManager, CurrentOperator, SessionDep
from api.queries import visible_location
from api.schemas import LocationPublic, LocationSafeguardsUpdate
from models.tables import Location

router = APIRouter(prefix="/api/locations", tags=["locations"])


@router.get("", response_model=list[LocationPublic])
def list_locations(session: SessionDep, operator: CurrentOperator) -> list[Location]:
    """The locations the operator may see, with their safeguards."""
    return list(
        session.exec(
            select(Location).where(location_filter(operator, Location.id, None)).order_by(col(Location.id))
        ).all()
    )


@router.put("/{location_id}", response_model=LocationPublic)
def update_location(
    location_id: str, changes: LocationSafeguardsUpdate, session: SessionDep, operator: AgentManager
) -> Location:
    """Change the location's safeguards; the next detection run and every check before a send apply them."""
    location = visible_location(session, operator, location_id)
    for name, value in changes.model_dump(exclude_unset=True, mode="json").items():
        if value is not None:
            setattr(location, name, value)
    session.add(location)
    session.commit()
    session.refresh(location)
    return location
