"""The sandbox provider's outbox: every message that would have gone to a real provider."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func
from sqlmodel import col, select

from api.auth import location_filter
from api.deps import CurrentOperator, SessionDep
from api.schemas import OutboxItem, Page
from models.tables import Delivery

router = APIRouter(prefix="/api/outbox", tags=["sandbox"])


@router.get("", response_model=Page[OutboxItem])
def list_outbox(
    session: SessionDep,
    operator: CurrentOperator,
    location_id: str | None = None,
    proposed_action_id: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Sandbox deliveries of the operator's locations, newest first."""
    conditions = [
        location_filter(operator, Delivery.location_id, location_id),
        col(Delivery.provider) == "sandbox",
    ]
    if proposed_action_id is not None:
        conditions.append(col(Delivery.proposed_action_id) == proposed_action_id)
    base = select(Delivery).where(*conditions)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        base.order_by(col(Delivery.created_at).desc(), col(Delivery.id)).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return {"items": [row.model_dump() for row in rows], "total": total, "page": page, "page_size": page_size}
