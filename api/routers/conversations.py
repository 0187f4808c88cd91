"""Conversations that followed customers' replies, each with its whole timeline."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, or_
from sqlmodel import col, select

from api.auth import location_filter
from api.deps import CurrentOperator, PaginationDep, SessionDep
from api.queries import conversions_of, timeline, visible_conversation
from api.schemas import ConversationDetail, ConversationItem, CustomerRef, Page
from models.messages import ConversationStatus
from models.tables import Conversation, Customer, Location

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


@router.get("", response_model=Page[ConversationItem])
def list_conversations(
    session: SessionDep,
    operator: CurrentOperator,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=200, description="Customer name or subject contains")] = None,
    status_: Annotated[ConversationStatus | None, Query(alias="status")] = None,
    location_id: str | None = None,
) -> dict[str, Any]:
    """Conversations of the operator's locations, most recently active first."""
    conditions = [location_filter(operator, Conversation.location_id, location_id)]
    if status_ is not None:
        conditions.append(col(Conversation.status) == status_)
    if q:
        pattern = f"%{q.lower()}%"
        conditions.append(or_(func.lower(Customer.name).like(pattern), func.lower(Conversation.subject).like(pattern)))
    base = select(Conversation, Customer).join(Customer).where(*conditions)
    page = pagination.fetch(session, base, col(Conversation.updated_at).desc(), col(Conversation.id))
    items = [{**c.model_dump(), "customer": CustomerRef(id=cu.id, name=cu.name)} for c, cu in page["items"]]
    return page | {"items": items}


@router.get("/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, session: SessionDep, operator: CurrentOperator) -> dict[str, Any]:
    """A conversation with the outreach that started it and every message since, in order."""
    conversation = visible_conversation(session, operator, conversation_id)
    customer = session.get(Customer, conversation.customer_id)
    location = session.get(Location, conversation.location_id)
    assert customer is not None and location is not None  # enforced by the foreign keys
    return {
        **conversation.model_dump(),
        "customer": CustomerRef(id=customer.id, name=customer.name),
        "timeline": timeline(session, conversation.proposed_action_id, conversation.id),
        "conversions": conversions_of(session, conversation.proposed_action_id, conversation.id),
        "time_zone": location.time_zone,
    }
