"""Operator authentication and per-location authorization."""

from collections.abc import Sequence

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from models.operators import Permission, hash_token
from models.tables import Operator


def operator_for_token(session: Session, token: str) -> Operator | None:
    return session.exec(select(Operator).where(col(Operator.token_hash) == hash_token(token))).first()


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def can_access(operator: Operator, location_id: str) -> bool:
    return operator.is_admin or location_id in operator.location_ids


def may(operator: Operator, permission: Permission) -> bool:
    return operator.is_admin or permission in operator.permissions


def location_filter(operator: Operator, column: object, location_id: str | None = None) -> ColumnElement[bool]:
    """A WHERE clause limiting rows to the operator's locations (and to one of them, if asked)."""
    allowed: Sequence[str] | None = None if operator.is_admin else operator.location_ids
    if location_id is not None:
        allowed = [location_id] if allowed is None or location_id in allowed else []
    return true() if allowed is None else col(column).in_(allowed)
