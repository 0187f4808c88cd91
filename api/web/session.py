"""Signing in to the web app: the operator's API token, kept in an HttpOnly, SameSite=Strict cookie (Secure
behind https), so no script of a page can read it and no other site can send it. Every form that changes
something also carries a CSRF token derived from the session (and htmx sends it as a header), checked on each
POST: a page of another site cannot forge one."""

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

COOKIE = "outreach_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


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


def csrf_token(token: str) -> str:
    """The session's CSRF token: derived from its API token, so it needs no storage and changes with it."""
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
