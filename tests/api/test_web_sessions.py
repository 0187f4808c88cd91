"""The web app's sessions, as an attacker would try them: the cookie is never the API token, signing out ends the
session at once (the old cookie opens nothing, in the app or as a bearer token), a session ends after its idle
time and at its absolute expiry however busy, and no other site can sign a browser in (the sign-in form's own
CSRF token)."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine

from api.web import session as web_session
from settings import Settings
from tests.conftest import Stack


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Development, every lookup fresh (no operator cache), so expiry and revocation show at once."""
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True, operator_cache_seconds=0)


async def sign_in(http: httpx.AsyncClient, token: str) -> str:
    """Sign in through the form as a browser does; answers the session cookie."""
    form = await http.get("/app/sign-in")
    field = re.search(r'name="sign_in_csrf" value="([^"]+)"', form.text)
    assert field is not None
    answer = await http.post("/app/sign-in", data={"token": token, "sign_in_csrf": field[1]}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return http.cookies[web_session.COOKIE]


def browser(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=str(stack.http.base_url))


async def signed_in(http: httpx.AsyncClient) -> bool:
    return (await http.get("/app", follow_redirects=False)).status_code == 200


async def test_the_cookie_is_a_session_of_its_own_and_signing_out_ends_it(stack: Stack) -> None:
    async with browser(stack) as http:
        cookie = await sign_in(http, stack.admin_token)
        assert cookie != stack.admin_token and await signed_in(http)
        as_bearer = {"Authorization": f"Bearer {cookie}"}
        assert (await http.get("/api/me", headers=as_bearer)).status_code == 200
        csrf = web_session.csrf_token(cookie)
        assert (await http.post("/app/sign-out", data={"csrf": csrf}, follow_redirects=False)).status_code == 303
        # The stolen cookie opens nothing any more: not the app, not the API.
        http.cookies.set(web_session.COOKIE, cookie, path="/app")
        assert not await signed_in(http)
        assert (await http.get("/api/me", headers=as_bearer)).status_code == 401
        # A session's token cannot start another session.
        form = await http.get("/app/sign-in")
        field = re.search(r'name="sign_in_csrf" value="([^"]+)"', form.text)
        assert field is not None
        again = await http.post("/app/sign-in", data={"token": cookie, "sign_in_csrf": field[1]})
        assert again.status_code == 401
    assert (await stack.http.get("/api/me")).status_code == 200  # the API token itself is untouched


async def test_a_session_ends_when_idle_and_at_its_expiry_however_busy(stack: Stack) -> None:
    async with browser(stack) as http:
        await sign_in(http, stack.admin_token)
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61), tick=True):
            assert not await signed_in(http)  # an hour unused
    async with browser(stack) as http:
        await sign_in(http, stack.admin_token)
        start = datetime.now(UTC)
        for half_hours in range(1, 24):  # used every half hour, all day
            with time_machine.travel(start + timedelta(minutes=30 * half_hours), tick=True):
                assert await signed_in(http)
        with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=True):
            assert not await signed_in(http)  # twelve hours after sign-in, whatever happened since


async def test_no_other_site_can_sign_a_browser_in(stack: Stack) -> None:
    async with browser(stack) as http:
        forged = await http.post("/app/sign-in", data={"token": stack.admin_token}, follow_redirects=False)
        assert forged.status_code == 403 and "expired" in forged.text
        await http.get("/app/sign-in")  # the cookie of the real page, but a field of another page
        wrong = await http.post("/app/sign-in", data={"token": stack.admin_token, "sign_in_csrf": "guessed"})
        assert wrong.status_code == 403 and web_session.COOKIE not in http.cookies


async def test_signing_in_again_leads_back_to_a_page_of_the_app_and_nowhere_else(stack: Stack) -> None:
    cases = {
        "/app/inbox/some-id?status=pending": "/app/inbox/some-id?status=pending",
        "/app": "/app",
        "//evil.example/app": "/app",
        "/\\evil.example": "/app",
        "https://evil.example/app": "/app",
        "/application": "/app",
        "/app/\r\nSet-Cookie: x=1": "/app",
        "/app/../api/operators": "/app",
        "/app/%2e%2E/api/operators": "/app",
        "/app/./inbox": "/app",
    }
    for next_page, lands in cases.items():
        async with browser(stack) as http:
            form = await http.get("/app/sign-in", params={"next": next_page})
            field = re.search(r'name="sign_in_csrf" value="([^"]+)"', form.text)
            assert field is not None
            data = {"token": stack.admin_token, "sign_in_csrf": field[1], "next": next_page}
            answer = await http.post("/app/sign-in", data=data, follow_redirects=False)
            assert (answer.status_code, answer.headers["location"]) == (303, lands), next_page
