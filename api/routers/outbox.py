"""The outbox: every delivery that never left the machine — what the sandbox would have sent (emails, calls, text
messages) and the tickets of the built-in help desk."""

from typing import Any

from fastapi import APIRouter
from sqlmodel import col, select

from api.auth import location_filter
from api.deps import CurrentOperator, PaginationDep, SessionDep
from api.schemas import OutboxItem, Page
from models.tables import Delivery
from providers.email import SandboxEmail
from providers.helpdesk import BuiltInHelpDesk

# Providers whose deliveries stay on this machine.
LOCAL_PROVIDERS = (SandboxEmail.name, BuiltInHelpDesk.name)

router = APIRouter(prefix="/api/outbox", tags=["sandbox"])


@router.get("", response_model=Page[OutboxItem])
def list_outbox(
    session: SessionDep,
    operator: CurrentOperator,
    pagination: PaginationDep,
    location_id: str | None = None,
    proposed_action_id: str | None = None,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """Deliveries of the operator's locations that stayed on this machine, newest first."""
    conditions = [
        location_filter(operator, Delivery.location_id, location_id),
        col(Delivery.provider).in_(LOCAL_PROVIDERS),
    ]
    if proposed_action_id is not None:
        conditions.append(col(Delivery.proposed_action_id) == proposed_action_id)
    if conversation_id is not None:
        conditions.append(col(Delivery.conversation_id) == conversation_id)
    query = select(Delivery).where(*conditions)
    return pagination.fetch(session, query, col(Delivery.created_at).desc(), col(Delivery.id))
