"""The space's operators, as an admin manages them: who they are, where they work and what they may change, and the
invitation link with which a person chooses their password (`models.operators`). With an email provider configured
the link is emailed to the operator (made where it is sent: in no answer, log or workflow history); without one,
the admin is given it once to pass on."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowFailureError

from api.deps import Admin, ClientDep, EngineDep, SessionDep, SettingsDep
from api.schemas import InvitationLink, OperatorInvite, OperatorRead
from models.messages import InvitationRequest
from models.operators import held, invitation_link, invite, operator_id_for
from models.tables import Invitation, Location, Operator
from settings import Settings
from workflows.invitation import InvitationWorkflow

router = APIRouter(prefix="/api/operators", tags=["operators"])


def _invited_until(session: Session, now: datetime, operator_ids: list[str]) -> dict[str, datetime]:
    """When each operator's open invitation expires (one at most each: a newer one voids the last)."""
    open_ones = select(Invitation.operator_id, Invitation.expires_at).where(
        col(Invitation.operator_id).in_(operator_ids), col(Invitation.expires_at) > now
    )
    return {operator_id: expires_at for operator_id, expires_at in session.exec(open_ones)}


def _read(operator: Operator, invited_until: datetime | None) -> OperatorRead:
    signs_in_with = [
        way for way, has in (("password", operator.password_hash), ("api_token", operator.token_hash)) if has
    ]
    return OperatorRead(id=operator.id, name=operator.name, email=operator.email, is_admin=operator.is_admin,
                        location_ids=operator.location_ids, permissions=held(operator), signs_in_with=signs_in_with,
                        invited_until=invited_until)  # fmt: skip


def _already(email: str, operator_id: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail=f"{email} is an operator already: send a new invitation "
                         f"with POST /api/operators/{operator_id}/invitation.")  # fmt: skip


@router.get("", response_model=list[OperatorRead])
def list_operators(session: SessionDep, _admin: Admin) -> list[OperatorRead]:
    """Every operator, how each signs in, and whose invitation is still open."""
    operators = list(session.exec(select(Operator).order_by(col(Operator.name))))
    invited = _invited_until(session, datetime.now(UTC), [operator.id for operator in operators])
    return [_read(operator, invited.get(operator.id)) for operator in operators]


@router.post("", response_model=InvitationLink, status_code=status.HTTP_201_CREATED)
async def invite_operator(request: Request, response: Response, body: OperatorInvite, session: SessionDep,
                          admin: Admin, client: ClientDep, settings: SettingsDep,
                          engine: EngineDep) -> InvitationLink:  # fmt: skip
    """A new operator, and their invitation: emailed to them, or the link with which they choose their password
    (shown once)."""
    operator = await run_in_threadpool(_new_operator, session, body)
    return await _invited(response, session, engine, client, settings, operator, admin)


def _new_operator(session: Session, body: OperatorInvite) -> Operator:
    if body.is_admin == bool(body.location_ids):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="Name the locations the operator works at "
                            "(location_ids), or make it an admin (is_admin), who sees every location — one or the "
                            "other.")  # fmt: skip
    known = set(session.exec(select(Location.id).where(col(Location.id).in_(body.location_ids))))
    unknown = sorted(set(body.location_ids) - known)
    if unknown:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"No location {', '.join(unknown)}: "
                            "GET /api/locations lists them.")  # fmt: skip
    operator_id = operator_id_for(body.email)
    if session.get(Operator, operator_id) is not None:
        raise _already(body.email, operator_id)
    operator = Operator(id=operator_id, name=body.name, email=body.email, is_admin=body.is_admin,
                        location_ids=sorted(set(body.location_ids)),
                        permissions=sorted(set(body.permissions)))  # fmt: skip
    session.add(operator)
    try:
        session.commit()
    except IntegrityError as taken:  # invited at the same moment by another request
        raise _already(body.email, operator_id) from taken
    return operator


@router.post("/{operator_id}/invitation", response_model=InvitationLink, status_code=status.HTTP_201_CREATED)
async def reinvite_operator(response: Response, operator_id: str, session: SessionDep, admin: Admin,
                            client: ClientDep, settings: SettingsDep, engine: EngineDep) -> InvitationLink:  # fmt: skip
    """A new link for an operator who lost theirs or forgot their password; any earlier link stops working. Their
    password works until they choose a new one, which signs out every browser they were signed in on."""
    operator = await run_in_threadpool(session.get, Operator, operator_id)
    if operator is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No operator {operator_id}: GET /api/operators "
                            "lists them.")  # fmt: skip
    return await _invited(response, session, engine, client, settings, operator, admin)


async def _invited(response: Response, session: Session, engine: Engine, client: Client, settings: Settings,
                   operator: Operator, admin: Operator) -> InvitationLink:  # fmt: skip
    response.headers["Cache-Control"] = "no-store"  # the link opens the account: kept by no cache
    if not settings.sendgrid_api_key:  # nothing can email it: the admin passes it on
        token, expires_at = await run_in_threadpool(invite, engine, operator.id, admin.id,
                                                    datetime.now(UTC))  # fmt: skip
        await run_in_threadpool(session.refresh, operator)
        return InvitationLink(operator=_read(operator, expires_at), link=invitation_link(settings.public_base_url,
                              token), emailed_to=None, expires_at=expires_at)  # fmt: skip
    session.close()  # the email takes a moment: no pooled connection is held meanwhile
    request = InvitationRequest(operator_id=operator.id, invited_by=admin.id)
    try:
        sent = await client.execute_workflow(InvitationWorkflow.run, request, id=f"invitation:{uuid.uuid4().hex}",
                                             task_queue=settings.task_queue)  # fmt: skip
    except WorkflowFailureError as failed:
        why = getattr(failed.cause, "cause", None) or failed.cause  # the activity's own words, past the wrapping
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY,
            detail=f"The invitation could not be emailed to "
            f"{operator.email}: {why}. Nothing was sent; try again with POST "
            f"/api/operators/{operator.id}/invitation.",
        ) from failed
    fresh = await run_in_threadpool(session.get, Operator, operator.id)
    assert fresh is not None, "the operator just invited"
    return InvitationLink(operator=_read(fresh, sent.expires_at), link=None, emailed_to=sent.emailed_to,
                          expires_at=sent.expires_at)  # fmt: skip
