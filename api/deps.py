"""Dependencies shared by the routers: database session, Temporal client, settings, operator."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from api.auth import may, operator_for_token, unauthorized
from models.operators import Permission
from models.tables import Operator
from settings import Settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_db(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_client(request: Request) -> Client:
    return request.app.state.client


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_db)]
ClientDep = Annotated[Client, Depends(get_client)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(auto_error=False, description="An operator's API token")


def get_current_operator(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Operator:
    if credentials is None:
        raise unauthorized("Missing bearer token: send the header 'Authorization: Bearer <your API token>'.")
    operator = operator_for_token(session, credentials.credentials)
    if operator is None:
        raise unauthorized("The bearer token is not valid; ask an admin for a new one (outreach operators create).")
    return operator


CurrentOperator = Annotated[Operator, Depends(get_current_operator)]


def _requiring(permission: Permission) -> Callable[[Operator], Operator]:
    def check(operator: CurrentOperator) -> Operator:
        if not may(operator, permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"{operator.name} may not {permission.allows}: that needs the {permission.value} permission. "
                f"An admin can grant it: outreach operators grant {operator.email} --permission {permission.value}",
            )
        return operator

    return check


# Operators who may change things, not just read them.
Reviewer = Annotated[Operator, Depends(_requiring(Permission.proposed_action))]
AgentManager = Annotated[Operator, Depends(_requiring(Permission.agent_config))]
