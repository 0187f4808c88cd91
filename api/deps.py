"""Dependencies shared by the routers: database session, Temporal client, settings, operator.

The ones that do no I/O are `async def`: FastAPI runs a plain `def` dependency on a thread, and the hop there and
back costs more than most of them do.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from sqlmodel.sql.expression import Select, SelectOfScalar
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from api.auth import OperatorCache, may, operator_for_token, unauthorized
from inbound.router import Router, router_for
from models.operators import Permission, hash_token
from models.tables import Operator
from providers.mail_servers import MailServerRules
from settings import Settings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_db(engine: Annotated[Engine, Depends(get_engine)]) -> AsyncIterator[Session]:
    # Opening a session does no I/O (it connects on its first query, in the endpoint's thread), so this runs on
    # the event loop: no hop to a thread and back on every request. What a commit wrote stays readable without
    # reading it again: a route that commits and then awaits the workflow service holds no connection meanwhile.
    with Session(engine, expire_on_commit=False) as session:
        yield session


async def get_client(request: Request) -> Client:
    return request.app.state.client


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_mail_server_rules(request: Request) -> MailServerRules:
    return request.app.state.mail_server_rules


async def get_router(request: Request) -> Router:
    return router_for(request.app.state.client, request.app.state.settings)


# The longest client address kept as a key: an IPv6 address with a zone fits; anything longer is not an address.
ADDRESS_CHARS = 64


async def get_client_address(request: Request) -> str:
    """Who sent the request: the direct peer; behind a proxy named in OUTREACH_TRUSTED_PROXIES, the address that
    proxy says it forwarded for (the last one in X-Forwarded-For that is not itself a trusted proxy). A header from
    anyone else is ignored: a client cannot choose its own address."""
    trusted = request.app.state.settings.trusted_proxies
    address = request.client.host if request.client else ""
    forwarded = [hop.strip() for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    while _is_within(address, trusted) and forwarded:
        address = forwarded.pop()
    return address[:ADDRESS_CHARS]


def _is_within(address: str, networks: list[IPv4Network | IPv6Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:  # not an address: no proxy of ours
        return False
    return any(parsed in network for network in networks)


SessionDep = Annotated[Session, Depends(get_db)]
RouterDep = Annotated[Router, Depends(get_router)]
ClientDep = Annotated[Client, Depends(get_client)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MailServerRulesDep = Annotated[MailServerRules, Depends(get_mail_server_rules)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ClientAddress = Annotated[str, Depends(get_client_address)]

# Far beyond any real list, and small enough that the offset stays a sane number for every database driver.
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Pagination:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def fetch(
        self, session: Session, query: Select[*tuple[Any, ...]] | SelectOfScalar[Any], *order_by: Any
    ) -> dict[str, Any]:
        """One page of `query` in a stable order, with the total, as a `Page` body (items are the rows)."""
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(*order_by).offset(self.offset).limit(self.page_size)).all()
        return {"items": list(rows), "total": total, "page": self.page, "page_size": self.page_size}


async def get_pagination(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1 for the first page")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Pagination:
    return Pagination(page, page_size)


PaginationDep = Annotated[Pagination, Depends(get_pagination)]

_bearer = HTTPBearer(auto_error=False, description="An operator's API token")


async def get_current_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Operator:
    if credentials is None:
        raise unauthorized("Missing bearer token: send the header 'Authorization: Bearer <your API token>'.")
    cache: OperatorCache = request.app.state.operators
    token_hash = hash_token(credentials.credentials)
    operator = cache.get(token_hash)
    if operator is None:
        idle = timedelta(minutes=request.app.state.settings.web_session_idle_minutes)
        operator = await run_in_threadpool(_look_up, request.app.state.engine, cache, token_hash, idle)
    if operator is None:
        raise unauthorized("The bearer token is not valid; ask an admin for a new one (outreach operators create).")
    return operator


def _look_up(engine: Engine, cache: OperatorCache, token_hash: str, idle: timedelta) -> Operator | None:
    with Session(engine) as session:
        operator = operator_for_token(session, token_hash, idle)
        return None if operator is None else cache.keep(token_hash, operator)


CurrentOperator = Annotated[Operator, Depends(get_current_operator)]


def forbidden(operator: Operator, permission: Permission) -> HTTPException:
    """The 403 naming the permission the operator lacks, and the command that grants it."""
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail=f"{operator.name} may not {permission.allows}: that needs the {permission.value} permission. "
        f"An admin can grant it: outreach operators grant {operator.email} --permission {permission.value}",
    )


def _requiring(permission: Permission) -> Callable[[Operator], Awaitable[Operator]]:
    async def check(operator: CurrentOperator) -> Operator:
        if not may(operator, permission):
            raise forbidden(operator, permission)
        return operator

    return check


async def _admin(operator: CurrentOperator) -> Operator:
    if not operator.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"{operator.name} may not manage operators: only an "
                            "admin invites operators and sends them new invitations.")  # fmt: skip
    return operator


# Operators who may change things, not just read them.
Admin = Annotated[Operator, Depends(_admin)]
Reviewer = Annotated[Operator, Depends(_requiring(Permission.proposed_action))]
AgentManager = Annotated[Operator, Depends(_requiring(Permission.agent_config))]
MailboxManager = Annotated[Operator, Depends(_requiring(Permission.email_account))]
SpaceReporter = Annotated[Operator, Depends(_requiring(Permission.space_events))]
MemberPortal = Annotated[Operator, Depends(_requiring(Permission.member_chat))]
