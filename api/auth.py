"""Operator authentication and per-location authorization."""

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from models.operators import Permission
from models.tables import Operator, WebSession

# How stale a web session's "last seen" may be before a request writes it again: idle expiry is that precise, and
# a page's burst of requests costs one write, not one each.
SEEN_EVERY = timedelta(minutes=1)


class OperatorCache:
    """Operators by token hash, as they were when last looked up, trusted for `seconds` (settings:
    `operator_cache_seconds`): most requests then skip the lookup. Only valid tokens are kept, so the cache holds
    at most one entry per operator however many wrong tokens arrive."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._known: dict[str, tuple[float, Operator]] = {}

    def get(self, token_hash: str) -> Operator | None:
        entry = self._known.get(token_hash)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def forget(self, token_hash: str) -> None:
        """A token that ends now (a web session signed out) is not trusted from the cache either."""
        self._known.pop(token_hash, None)

    def forget_operator(self, operator_id: str) -> None:
        """Every session of an operator that chose a new password ends now in this process too."""
        self._known = {token_hash: entry for token_hash, entry in self._known.items() if entry[1].id != operator_id}

    def keep(self, token_hash: str, operator: Operator) -> Operator:
        # A copy belonging to no session: nothing a request's session does can expire or change it.
        copy = Operator(**operator.model_dump())
        self._known[token_hash] = (time.monotonic() + self._seconds, copy)
        return copy


def operator_for_token(session: Session, token_hash: str, idle: timedelta) -> Operator | None:
    """The operator a bearer token stands for: an operator's own API token, or a live web app session, which is
    kept alive by its use (and ends once idle for `idle` or past its expiry)."""
    operator = session.exec(select(Operator).where(col(Operator.token_hash) == token_hash)).first()
    if operator is not None:
        return operator
    web = session.get(WebSession, token_hash)
    if web is None:
        return None
    now = datetime.now(UTC)
    if now >= web.expires_at or now - web.last_seen_at >= idle:
        session.delete(web)
        session.commit()
        return None
    if now - web.last_seen_at >= SEEN_EVERY:
        web.last_seen_at = now
        session.add(web)
        session.commit()
    return session.get(Operator, web.operator_id)


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
