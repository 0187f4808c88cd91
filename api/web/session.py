"""Signing in to the web app. The operator gives its email address and password (or an API token, once); the browser
gets a session of its own — a random token in an HttpOnly, SameSite=Strict cookie (Secure behind https), so no script
of a page can read it and no other site can send it — kept on the server (`WebSession`), ended by signing out, after
an idle time and at an absolute expiry. The API token itself is never kept by the browser. Every form that changes
something carries a CSRF token derived from the session (htmx sends it as a header), checked on each POST; the sign-
in form carries one of its own (a cookie and a field that must match), so no other site can sign a browser in to its
account."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlmodel import Session

from models.operators import hash_token
from models.tables import WebSession

COOKIE = "outreach_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SIGN_IN_COOKIE = "outreach_sign_in"
SIGN_IN_FIELD = "sign_in_csrf"


class NotSignedIn(Exception):
    """No session: the page sends the browser to sign in."""


def token_of(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


async def signed_in(request: Request) -> str:
    token = token_of(request)
    if token is None:
        raise NotSignedIn
    return token


SignedIn = Annotated[str, Depends(signed_in)]


def start(engine: Engine, operator_id: str, hours: int) -> str:
    """A new session for the operator: its cookie's token."""
    token, now = secrets.token_urlsafe(32), datetime.now(UTC)
    with Session(engine) as session:
        session.add(WebSession(token_hash=hash_token(token), operator_id=operator_id, created_at=now,
                               last_seen_at=now, expires_at=now + timedelta(hours=hours)))  # fmt: skip
        session.commit()
    return token


def end(engine: Engine, token: str) -> None:
    """Sign out: the session is gone, and its cookie opens nothing any more."""
    with Session(engine) as session:
        web = session.get(WebSession, hash_token(token))
        if web is not None:
            session.delete(web)
            session.commit()


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)


def sign_in_allowed(request: Request, field: str) -> bool:
    """The sign-in form came from our own page: its field matches the cookie that page set."""
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), field.encode())


def csrf_token(token: str) -> str:
    """The session's CSRF token: derived from its session token, so it needs no storage and changes with it."""
    return hmac.new(token.encode(), b"outreach-web-csrf", hashlib.sha256).hexdigest()


async def check_csrf(request: Request, token: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    # Compared as bytes: a header may hold any character, and compare_digest refuses non-ASCII strings.
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="The form has expired; reload the page and try again.")


def secure(request: Request) -> bool:
    """Whether the cookie may only travel over https: whenever the app is reached over it."""
    settings = request.app.state.settings
    return str(settings.public_base_url).startswith("https://") or request.url.scheme == "https"
