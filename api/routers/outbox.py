"""The sandbox provider's outbox: every message that would have gone to a real provider."""

from typing import Any

from fastapi import APIRouter
from sqlmodel import col, select

from api.auth import location_filter
from api.deps import CurrentOperator, PaginationDep, SessionDep
from api.schemas import OutboxItem, Page
from models.tables import Delivery

router = APIRouter(prefix="/api/outbox", tags=["sandbox"])


@router.get("", response_model=Page[OutboxItem])
def list_outbox(
    session: SessionDep,
    operator: CurrentOperator,
    pagination: PaginationDep,
    location_id: str | None = None,
    proposed_action_id: str | None = None,
) -> dict[str, Any]:
    """Sandbox deliveries of the operator's locations, newest first."""
    conditions = [
        location_filter(operator, Delivery.location_id, location_id),
        col(Delivery.provider) == "sandbox",
    ]
    if proposed_action_id is not None:
        conditions.append(col(Delivery.proposed_action_id) == proposed_action_id)
    query = select(Delivery).where(*conditions)
    return pagination.fetch(session, query, col(Delivery.created_at).desc(), col(Delivery.id))
