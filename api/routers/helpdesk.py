"""The built-in help desk: departments, and the tickets proposals are taken over into, with their public comments
and internal notes. A public comment by the team is emailed to the customer in the ticket's thread; a comment by
the customer (by email, or here on their behalf) lands on the conversation and is answered. Reading needs no
permission; changing needs `proposedAction`, as reviewing does."""

import uuid
from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.auth import can_access, location_filter
from api.deps import ClientDep, CurrentOperator, PaginationDep, Reviewer, RouterDep, SessionDep, SettingsDep
from api.queries import department_problem, team_of, ticket_thread, visible_location
from api.schemas import (
    Category,
    CommentCreate,
    DepartmentCreate,
    DepartmentPublic,
    InboundReceived,
    OperatorRef,
    Page,
    RequesterComment,
    TicketDetail,
    TicketPublic,
    TicketUpdate,
)
from domain.content import sanitize_html
from domain.ids import ticket_reply_id
from inbound import router as inbound_router
from models.db import release
from models.messages import Channel, EmailMessage, Sender, TicketStatus
from models.tables import HelpdeskDepartment, Operator, Ticket, TicketComment
from providers.helpdesk import add_comment
from workflows.ticket_reply import TicketReplyWorkflow

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
    team = [OperatorRef(id=operator.id, name=operator.name) for operator in team_of(session, ticket.location_id)]
    assignee = next((ref for ref in team if ref.id == ticket.assignee_id), None)
    return {**ticket.model_dump(), "comments": [comment.model_dump() for comment in comments], "assignee": assignee,
            "assignable": team}  # fmt: skip


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
    category: Annotated[Category | None, Query()] = None,
) -> dict[str, Any]:
    """Tickets of the operator's locations, newest first."""
    conditions = [location_filter(operator, Ticket.location_id, location_id)]
    if status_ is not None:
        conditions.append(col(Ticket.status) == status_)
    if category is not None:
        conditions.append(col(Ticket.category) == category)
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
    if changes.get("assignee_id") == "":
        changes["assignee_id"] = None  # assigned to no one
    elif "assignee_id" in changes:
        team = team_of(session, ticket.location_id)
        if changes["assignee_id"] not in {operator.id for operator in team}:
            names = ", ".join(f"{operator.name} ({operator.id})" for operator in team)
            raise HTTPException(
                422,
                detail=f"assignee_id: no operator of this ticket's location has the id "
                f"{changes['assignee_id']!r}; assign it to one of {names}, or to no one (empty).",
            )
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.updated_at = datetime.now(UTC)
    session.add(ticket)
    session.commit()
    return _detail(session, ticket)


@router.post("/tickets/{ticket_id}/comments", response_model=TicketDetail, status_code=status.HTTP_201_CREATED)
async def comment(ticket_id: str, body: CommentCreate, session: SessionDep, operator: Reviewer, client: ClientDep,
                  settings: SettingsDep) -> dict[str, Any]:  # fmt: skip
    """A public comment or an internal note by the operator (sanitised like every operator HTML). A public one
    on the ticket of a proposal or of a members' chat is emailed to the customer in the ticket's thread and lands
    on its timeline."""
    ticket = _visible_ticket(session, operator, ticket_id)
    html = sanitize_html(body.body_html)
    if not html.strip():
        raise HTTPException(422, detail="body_html: the comment is empty once scripts and styles are removed.")
    now = datetime.now(UTC)
    asked = f"ticket-comment:{ticket.id}:{body.request_id}"
    comment_id = str(uuid.uuid5(uuid.NAMESPACE_URL, asked) if body.request_id else uuid.uuid4())
    if session.get(TicketComment, comment_id) is not None:  # posted before: added, and sent, once
        return _detail(session, ticket)
    if body.public and (ticket.proposed_action_id or ticket.conversation_id):
        # Started before the comment is saved: if the workflow service is away the request fails whole (503),
        # and the operator's retry neither duplicates the comment nor leaves it unsent.
        thread = ticket_thread(session, ticket.proposed_action_id, ticket.conversation_id)
        reply = EmailMessage(
            delivery_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"ticket-reply:{comment_id}")),
            action_id=ticket.proposed_action_id, conversation_id=ticket.conversation_id,
            location_id=ticket.location_id, customer_id=ticket.requester_id, channel=Channel.helpdesk,
            # A chat's first email from the team starts the ticket's thread: its subject names the ticket.
            subject=ticket.subject if thread else f"[{ticket.number}] {ticket.subject}", body_html=html,
            in_reply_to=thread[-1] if thread else None, references=thread,
            author=Sender.operator,
        )  # fmt: skip
        release(session)
        # The same request, posted twice at once: its answer is on its way already (and sent once per delivery id).
        with suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(TicketReplyWorkflow.run, reply, id=ticket_reply_id(comment_id),
                                        task_queue=settings.task_queue)  # fmt: skip
    add_comment(session, ticket.id, comment_id, Sender.operator, operator.name, html, public=body.public, at=now)
    ticket.updated_at = now
    session.add(ticket)
    try:
        session.commit()
    except IntegrityError:  # the same request, posted twice at once: the other one added it
        session.rollback()
    return _detail(session, ticket)


@router.post("/tickets/{ticket_id}/requester-comments", response_model=InboundReceived,
             status_code=status.HTTP_202_ACCEPTED)  # fmt: skip
async def requester_comment(ticket_id: str, body: RequesterComment, session: SessionDep, operator: Reviewer,
                            router: RouterDep) -> InboundReceived:  # fmt: skip
    """A comment the customer made through the help desk itself (its portal, an integration): on the ticket, on
    the conversation's timeline, and answered — as if they had answered the ticket's email."""
    ticket = _visible_ticket(session, operator, ticket_id)
    try:
        mail = await inbound_router.requester_comment(session, router, ticket, body.body)
    except inbound_router.NothingToReplyTo as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(refused)) from refused
    return InboundReceived(id=mail.id, status=mail.status, proposed_action_id=mail.proposed_action_id, problem=None)
