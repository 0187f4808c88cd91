"""Mail that came home: every reply, automatic answer and bounce, matched or not. What matched nothing (a
stranger, a tampered or expired reply address, a thread we never started) waits here for an operator, who can
read it and attach it to the conversation it belongs to. Mail of no known location is for admins only."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlmodel import Session, col, select

from api.auth import can_access, location_filter
from api.deps import CurrentOperator, PaginationDep, Reviewer, RouterDep, SessionDep
from api.queries import attachments_of, visible_action
from api.schemas import AttachRequest, InboundDetail, InboundItem, Page
from inbound.router import NothingToReplyTo, attach
from models.messages import InboundStatus
from models.tables import InboundAttachment, InboundMessage, Operator

router = APIRouter(prefix="/api/inbound", tags=["inbound mail"])


def _visible(session: Session, operator: Operator, inbound_id: str) -> InboundMessage:
    mail = session.get(InboundMessage, inbound_id)
    if mail is None or not (operator.is_admin or (mail.location_id and can_access(operator, mail.location_id))):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No inbound mail with id {inbound_id!r}.")
    return mail


def _detail(session: Session, mail: InboundMessage) -> dict[str, Any]:
    return {**mail.model_dump(), "attachments": attachments_of(session, [mail.id]).get(mail.id, [])}


@router.get("", response_model=Page[InboundItem])
def list_inbound(
    session: SessionDep,
    operator: CurrentOperator,
    pagination: PaginationDep,
    status_: Annotated[InboundStatus | None, Query(alias="status", description="`unmatched`: waiting for you")] = None,
    location_id: str | None = None,
) -> dict[str, Any]:
    """Inbound mail of the operator's locations, newest first."""
    query = select(InboundMessage).where(location_filter(operator, InboundMessage.location_id, location_id))
    if status_ is not None:
        query = query.where(col(InboundMessage.status) == status_)
    return pagination.fetch(session, query, col(InboundMessage.received_at).desc(), col(InboundMessage.id))


@router.get("/{inbound_id}", response_model=InboundDetail)
def get_inbound(inbound_id: str, session: SessionDep, operator: CurrentOperator) -> dict[str, Any]:
    """One mail: everything it said, what was new in it, and its attachments."""
    return _detail(session, _visible(session, operator, inbound_id))


@router.get("/{inbound_id}/attachments/{position}")
def get_attachment(inbound_id: str, position: int, session: SessionDep, operator: CurrentOperator) -> Response:
    """An attachment's bytes, always as a download: a customer's HTML file never runs in an operator's browser."""
    mail = _visible(session, operator, inbound_id)
    attachment = session.get(InboundAttachment, f"{mail.id}:{position}")
    if attachment is None or attachment.content is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            detail=f"Mail {inbound_id!r} has no kept attachment {position}.")  # fmt: skip
    safe_name = "".join(c for c in attachment.filename if c.isalnum() or c in "._- ") or "attachment"
    return Response(attachment.content, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}"',
                             "X-Content-Type-Options": "nosniff"})  # fmt: skip


@router.post("/{inbound_id}/attach", response_model=InboundDetail)
async def attach_to_conversation(
    inbound_id: str, body: AttachRequest, session: SessionDep, operator: Reviewer, router: RouterDep
) -> dict[str, Any]:
    """Put an unmatched mail in a proposal's conversation: it lands on the timeline and the AI answers it, and
    its sender counts as the customer's in that conversation from now on."""
    mail = _visible(session, operator, inbound_id)
    if mail.status is not InboundStatus.unmatched:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            detail=f"This mail is {mail.status.value}, not unmatched: it is already in a "
                                   "conversation.")  # fmt: skip
    action = visible_action(session, operator, body.proposed_action_id)
    if mail.location_id is not None and mail.location_id != action.location_id:
        raise HTTPException(422, detail=f"This mail came in at {mail.location_id}; attach it to a proposal of that "
                                        "location.")  # fmt: skip
    try:
        mail = await attach(session, router, mail, action)
    except NothingToReplyTo as refused:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(refused)) from refused
    session.refresh(mail)  # routing committed, which expired what the session had loaded
    return _detail(session, mail)
