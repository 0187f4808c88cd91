"""Conversations that followed customers' replies, each with its whole timeline; the team takes one over from the
AI, answers the customer in it and hands it back (`proposedAction`, as reviewing needs)."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import changes as live
from api.auth import location_filter
from api.deps import ClientDep, CurrentOperator, EngineDep, PaginationDep, Reviewer, SessionDep
from api.queries import conversions_of, timeline, visible_conversation
from api.schemas import ConversationDetail, ConversationItem, CustomerRef, OperatorRef, Page, TeamReplyCreate
from domain.ids import HAND_BACK, TAKE_OVER, TEAM_REPLY
from models.messages import ConversationStatus, TeamMember, TeamReply, nothing_to_take_over
from models.tables import Conversation, Customer, Location, Operator

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
    base = (select(Conversation, Customer, Operator).join(Customer)
            .outerjoin(Operator, col(Operator.id) == col(Conversation.taken_over_by)).where(*conditions))  # fmt: skip
    page = pagination.fetch(session, base, col(Conversation.updated_at).desc(), col(Conversation.id))
    items = [_item(c, cu, o) for c, cu, o in page["items"]]
    return page | {"items": items}


def _item(conversation: Conversation, customer: Customer, taken_over_by: Operator | None) -> dict[str, Any]:
    return {
        **conversation.model_dump(),
        "customer": CustomerRef(id=customer.id, name=customer.name),
        "taken_over_by": OperatorRef(id=taken_over_by.id, name=taken_over_by.name) if taken_over_by else None,
    }


@router.get("/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: str, session: SessionDep, operator: CurrentOperator) -> dict[str, Any]:
    """A conversation with the outreach that started it and every message since, in order."""
    conversation = visible_conversation(session, operator, conversation_id)
    customer = session.get(Customer, conversation.customer_id)
    location = session.get(Location, conversation.location_id)
    assert customer is not None and location is not None  # enforced by the foreign keys
    taken_over_by = session.get(Operator, conversation.taken_over_by) if conversation.taken_over_by else None
    return {
        **_item(conversation, customer, taken_over_by),
        "timeline": timeline(session, conversation.proposed_action_id, conversation.id),
        "conversions": conversions_of(session, conversation.proposed_action_id, conversation.id),
        "time_zone": location.time_zone,
    }


@router.get("/{conversation_id}/changes", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})  # fmt: skip
async def changes(conversation_id: str, session: SessionDep, operator: CurrentOperator,
                  engine: EngineDep) -> StreamingResponse:  # fmt: skip
    """Server-sent events: `changed` at once and each time the conversation moves (a message, a tool, its status,
    who answers), its data the new version; then read it again. The stream ends after a few minutes and says when
    to come back (`retry`)."""
    await run_in_threadpool(visible_conversation, session, operator, conversation_id)
    session.close()  # the stream reads with sessions of its own

    async def stream() -> AsyncIterator[str]:
        yield live.START
        async for now in live.versions(engine, conversation_id):
            yield live.KEPT_ALIVE if now is None else live.event("changed", now)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=live.HEADERS)


@router.post("/{conversation_id}/take-over", response_model=ConversationDetail)
async def take_over(conversation_id: str, session: SessionDep, operator: Reviewer, client: ClientDep) -> dict[str, Any]:
    """The operator has the conversation from now on: the customer's messages wait for them, the AI answers none."""
    me = TeamMember(operator_id=operator.id, name=operator.name)
    return await _in_conversation(client, session, operator, conversation_id, TAKE_OVER, me)


@router.post("/{conversation_id}/replies", response_model=ConversationDetail)
async def reply(conversation_id: str, body: TeamReplyCreate, session: SessionDep, operator: Reviewer,
                client: ClientDep) -> dict[str, Any]:  # fmt: skip
    """The operator's answer to the customer, on the conversation's channel (by email in the customer's thread, or in
    the members' chat). Replying takes the conversation over, so the AI does not answer over the operator."""
    me = TeamMember(operator_id=operator.id, name=operator.name)
    request = TeamReply(request_id=body.request_id, by=me, text=body.text)
    return await _in_conversation(client, session, operator, conversation_id, TEAM_REPLY, request,
                                  update_id=f"{TEAM_REPLY}:{body.request_id}")  # fmt: skip


@router.post("/{conversation_id}/hand-back", response_model=ConversationDetail)
async def hand_back(conversation_id: str, session: SessionDep, operator: Reviewer, client: ClientDep) -> dict[str, Any]:
    """The AI answers again, starting with what the customer wrote since the team's last reply."""
    me = TeamMember(operator_id=operator.id, name=operator.name)
    return await _in_conversation(client, session, operator, conversation_id, HAND_BACK, me)


async def _in_conversation(client: Client, session: Session, operator: Operator, conversation_id: str, update: str,
                           request: Any, update_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    await run_in_threadpool(visible_conversation, session, operator, conversation_id)
    # The update waits for a worker: it holds no pooled connection meanwhile.
    session.close()
    try:
        await client.get_workflow_handle(conversation_id).execute_update(update, request, id=update_id)
    except WorkflowUpdateFailedError as refused:  # the conversation's own words: ending, a call, nothing to answer
        cause = refused.cause
        detail = cause.message if isinstance(cause, ApplicationError) else str(refused)
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail) from refused
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # Its workflow has ended: how, as recorded once it had (it may have ended since it was read above).
        ended = (await run_in_threadpool(visible_conversation, session, operator, conversation_id)).status
        raise HTTPException(status.HTTP_409_CONFLICT, detail=nothing_to_take_over(ended)) from error
    return await run_in_threadpool(get_conversation, conversation_id, session, operator)
