"""The space's operators, as an admin manages them: who they are, where they work and what they may change, and the
invitation link with which a person chooses their password (`models.operators`)."""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.deps import Admin, SessionDep
from api.schemas import InvitationLink, OperatorInvite, OperatorRead
from models.operators import held, invite, operator_id_for
from models.tables import Invitation, Location, Operator

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


def _link(request: Request, token: str) -> str:
    """The invitation's page, the token after `#`: a browser never sends that part, so no server's access log and
    no page's Referer holds it; the page posts it."""
    return f"{request.app.state.settings.public_base_url.rstrip('/')}/app/invitation#{token}"


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
def invite_operator(request: Request, response: Response, body: OperatorInvite, session: SessionDep,
                    admin: Admin) -> InvitationLink:  # fmt: skip
    """A new operator, and the link with which they choose their password (shown once)."""
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
    return _invited(request, response, session, operator, admin)


@router.post("/{operator_id}/invitation", response_model=InvitationLink, status_code=status.HTTP_201_CREATED)
def reinvite_operator(request: Request, response: Response, operator_id: str, session: SessionDep,
                      admin: Admin) -> InvitationLink:  # fmt: skip
    """A new link for an operator who lost theirs or forgot their password; any earlier link stops working. Their
    password works until they choose a new one, which signs out every browser they were signed in on."""
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No operator {operator_id}: GET /api/operators "
                            "lists them.")  # fmt: skip
    return _invited(request, response, session, operator, admin)


def _invited(request: Request, response: Response, session: Session, operator: Operator,
             admin: Operator) -> InvitationLink:  # fmt: skip
    token, expires_at = invite(request.app.state.engine, operator.id, admin.id, datetime.now(UTC))
    session.refresh(operator)
    response.headers["Cache-Control"] = "no-store"  # the link opens the account: kept by no cache
    return InvitationLink(operator=_read(operator, expires_at), link=_link(request, token), expires_at=expires_at)
