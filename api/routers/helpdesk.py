"""The built-in help desk: departments, and the tickets proposals are taken over into, with their public comments
and internal notes. Reading needs no permission; changing needs `proposedAction`, as reviewing does."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlmodel import Session, col, select

from api.auth import can_access, location_filter
from api.deps import CurrentOperator, PaginationDep, Reviewer, SessionDep
from api.queries import department_problem, visible_location
from api.schemas import (
    CommentCreate,
    DepartmentCreate,
    DepartmentPublic,
    Page,
    TicketDetail,
    TicketPublic,
    TicketUpdate,
)
from domain.content import sanitize_html
from models.messages import Sender, TicketStatus
from models.tables import HelpdeskDepartment, Operator, Ticket, TicketComment
from providers.helpdesk import add_comment

router = APIRouter(prefix="/api/helpdesk", tags=["help desk"])


def _visible_ticket(session: Session, operator: Operator, ticket_id: str) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not can_access(operator, ticket.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No ticket with id {ticket_id!r}.")
    return ticket


def _detail(session: Session, ticket: Ticket) -> dict[str, Any]:
    comments = session.exec(
        select(TicketComment).where(col(TicketComment.ticket_id) == ticket.id).order_by(col(TicketComment.created_at))
    ).all()
    return {**ticket.model_dump(), "comments": [comment.model_dump() for comment in comments]}


@router.get("/departments", response_model=list[DepartmentPublic])
def list_departments(
    session: SessionDep, operator: CurrentOperator, location_id: str | None = None
) -> list[HelpdeskDepartment]:
    query = select(HelpdeskDepartment).where(location_filter(operator, HelpdeskDepartment.location_id, location_id))
    return list(session.exec(query.order_by(col(HelpdeskDepartment.location_id), col(HelpdeskDepartment.name))))


@router.post("/departments", response_model=DepartmentPublic, status_code=status.HTTP_201_CREATED)
def create_department(body: DepartmentCreate, session: SessionDep, operator: Reviewer) -> HelpdeskDepartment:
    visible_location(session, operator, body.location_id)
    department = HelpdeskDepartment(id=f"dept-{uuid.uuid4().hex[:12]}", location_id=body.location_id,
                                    name=body.name.strip())  # fmt: skip
    session.add(department)
    session.commit()
    session.refresh(department)
    return department


@router.get("/tickets", response_model=Page[TicketPublic])
def list_tickets(
    session: SessionDep,
    operator: CurrentOperator,
    pagination: PaginationDep,
    location_id: str | None = None,
    status_: Annotated[TicketStatus | None, Query(alias="status")] = None,
    department_id: str | None = None,
) -> dict[str, Any]:
    """Tickets of the operator's locations, newest first."""
    conditions = [location_filter(operator, Ticket.location_id, location_id)]
    if status_ is not None:
        conditions.append(col(Ticket.status) == status_)
    if department_id is not None:
        conditions.append(col(Ticket.department_id) == department_id)
    return pagination.fetch(session, select(Ticket).where(*conditions), col(Ticket.created_at).desc(),
                            col(Ticket.id))  # fmt: skip


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: str, session: SessionDep, operator: CurrentOperator) -> dict[str, Any]:
    """A ticket with its public comments and internal notes."""
    return _detail(session, _visible_ticket(session, operator, ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=TicketDetail)
def update_ticket(ticket_id: str, body: TicketUpdate, session: SessionDep, operator: Reviewer) -> dict[str, Any]:
    ticket = _visible_ticket(session, operator, ticket_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "department_id" in changes and (problem := department_problem(session, changes["department_id"],
                                                                      ticket.location_id)):  # fmt: skip
        raise HTTPException(422, detail=problem)
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.updated_at = datetime.now(UTC)
    session.add(ticket)
    session.commit()
    return _detail(session, ticket)


@router.post("/tickets/{ticket_id}/comments", response_model=TicketDetail, status_code=status.HTTP_201_CREATED)
def comment(ticket_id: str, body: CommentCreate, session: SessionDep, operator: Reviewer) -> dict[str, Any]:
    """A public comment or an internal note by the operator (sanitised like every operator HTML)."""
    ticket = _visible_ticket(session, operator, ticket_id)
    html = sanitize_html(body.body_html)
    if not html.strip():
        raise HTTPException(422, detail="body_html: the comment is empty once scripts and styles are removed.")
    now = datetime.now(UTC)
    add_comment(session, ticket.id, str(uuid.uuid4()), Sender.operator, operator.name, html, public=body.public,
                at=now)  # fmt: skip
    ticket.updated_at = now
    session.add(ticket)
    session.commit()
    return _detail(session, ticket)
