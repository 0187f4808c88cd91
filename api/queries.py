"""Read-model lookups shared by routers. Objects of other locations are reported as missing, so
an operator cannot learn what exists elsewhere."""

from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from api.auth import can_access
from api.schemas import Source, TimelineItem
from models.tables import (
    Conversation,
    Delivery,
    HelpdeskDepartment,
    Location,
    Operator,
    ProposedAction,
    TimelineEntry,
)


def visible_action(session: Session, operator: Operator, action_id: str) -> ProposedAction:
    action = session.get(ProposedAction, action_id)
    if action is None or not can_access(operator, action.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No proposed action with id {action_id!r}.")
    return action


def visible_conversation(session: Session, operator: Operator, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not can_access(operator, conversation.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No conversation with id {conversation_id!r}.")
    return conversation


def timeline(session: Session, action_id: str) -> list[TimelineItem]:
    """Every message and event of an outreach, from proposal to the last conversation turn."""
    rows = session.exec(
        select(TimelineEntry, Delivery)
        .join(Delivery, col(Delivery.id) == col(TimelineEntry.delivery_id), isouter=True)
        .where(col(TimelineEntry.proposed_action_id) == action_id)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    ).all()
    return [
        TimelineItem.model_validate({**entry.model_dump(), "source": _source(delivery) if delivery else None})
        for entry, delivery in rows
    ]


def _source(delivery: Delivery) -> Source:
    # Tickets of the built-in help desk are ours to link to; the providers' consoles need their own login.
    link = f"/api/helpdesk/tickets/{delivery.id}" if delivery.provider == "helpdesk" else None
    return Source(provider=delivery.provider, provider_id=delivery.provider_message_id, message_id=delivery.message_id,
                  status=delivery.status, link=link)  # fmt: skip


def visible_location(session: Session, operator: Operator, location_id: str) -> Location:
    location = session.get(Location, location_id)
    if location is None or not can_access(operator, location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No location with id {location_id!r}.")
    return location


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """SQL for the seconds from `start` to `end`, so averages over many rows stay in the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86_400.0


def department_problem(session: Session, department_id: str, location_id: str) -> str | None:
    """Why a ticket at `location_id` cannot go to `department_id`, or None."""
    department = session.get(HelpdeskDepartment, department_id)
    if department is None or department.location_id != location_id:
        return (f"There is no help-desk department {department_id!r} at this location; choose one of "
                f"GET /api/helpdesk/departments?location_id={location_id}.")  # fmt: skip
    return None
