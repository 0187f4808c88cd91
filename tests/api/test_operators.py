"""Operators sign in as people, as an attacker would try it: only an admin invites; the invitation's token is never
in a request's path (so in no access log), works once, expires and is voided by a newer one; the password is kept
as an argon2id hash; wrong passwords pause sign-in, and the answer never says which addresses are operators'; a new
password signs every other browser out."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import time_machine
from sqlmodel import Session, select

from api.auth import OperatorCache
from api.web import session as web_session
from models.operators import ATTEMPTS, INVITATION_GONE, NOT_SIGNED_IN, Permission, create_operator
from models.tables import Invitation, Operator
from settings import Settings
from tests.conftest import Stack

PASSWORD = "correct horse battery staple"
EMAIL = "Ava.Tanaka@CanalHouse.example"  # as the admin typed it; kept with its domain in lower case
NEWCOMER: dict[str, Any] = {"name": "Ava Tanaka", "email": EMAIL, "location_ids": ["ams"]}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Development, every lookup fresh (no operator cache), so a session that ends shows at once."""
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True, operator_cache_seconds=0)


def browser(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=str(stack.http.base_url))


async def form_field(http: httpx.AsyncClient, page: str) -> str:
    """The page's own sign-in CSRF field (its cookie set alongside)."""
    field = re.search(r'name="sign_in_csrf" value="([^"]+)"', (await http.get(page)).text)
    assert field is not None
    return field[1]


async def choose_password(
    http: httpx.AsyncClient, link: str, password: str, repeated: str | None = None
) -> httpx.Response:
    """What the invitation's page posts: the token from after `#`, the password twice."""
    token = urlsplit(link).fragment
    data = {"invitation": token, "password": password, "repeated": password if repeated is None else repeated,
            "sign_in_csrf": await form_field(http, "/app/invitation")}  # fmt: skip
    return await http.post("/app/invitation", data=data, follow_redirects=False)


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    data = {"email": email, "password": password, "sign_in_csrf": await form_field(http, "/app/sign-in")}
    return await http.post("/app/sign-in", data=data, follow_redirects=False)


async def whoami(http: httpx.AsyncClient) -> str | None:
    """Whose session the browser holds (None: none), read from the API as the web app reads it."""
    cookie = http.cookies.get(web_session.COOKIE)
    if not cookie:
        return None
    answer = await http.get("/api/me", headers={"Authorization": f"Bearer {cookie}"})
    return answer.json()["email"] if answer.status_code == 200 else None


async def invited(stack: Stack, **changes: Any) -> dict[str, Any]:
    answer = await stack.http.post("/api/operators", json={**NEWCOMER, **changes})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_admin_invites_and_the_operator_chooses_a_password_and_signs_in(stack: Stack) -> None:
    body = await invited(stack)
    operator, link = body["operator"], body["link"]
    assert (operator["email"], operator["location_ids"], operator["permissions"]) == (
        "Ava.Tanaka@canalhouse.example",
        ["ams"],
        [Permission.proposed_action.value],
    )
    assert operator["signs_in_with"] == [] and operator["invited_until"] == body["expires_at"]
    # The token is after "#": no request for the page carries it, so no access log or Referer can.
    parts = urlsplit(link)
    assert parts.path == "/app/invitation" and not parts.query and len(parts.fragment) >= 40
    with Session(stack.engine) as session:  # kept as a hash only
        assert [row.token_hash for row in session.exec(select(Invitation))] != [parts.fragment]

    async with browser(stack) as http:  # no sign-in provider is configured here: none is offered
        assert 'href="/app/sign-in/oidc' not in (await http.get("/app/sign-in")).text
        none = await http.get("/app/sign-in/oidc")
        assert none.status_code == 404 and "not set up here" in none.text
    async with browser(stack) as http:
        page = await http.get("/app/invitation")
        assert page.status_code == 200 and "Choose your password" in page.text
        differ = await choose_password(http, link, PASSWORD, "correct horse battery stapler")
        assert differ.status_code == 422 and "The two passwords differ" in differ.text
        assert parts.fragment in differ.text  # the form keeps the link's token for the next try
        short = await choose_password(http, link, "hunter2")
        assert short.status_code == 422 and "at least 12 characters" in short.text
        chosen = await choose_password(http, link, PASSWORD)
        assert chosen.status_code == 303 and chosen.headers["location"] == "/app"
        assert await whoami(http) == "Ava.Tanaka@canalhouse.example"
    with Session(stack.engine) as session:
        row = session.get(Operator, operator["id"])
        assert row is not None and row.password_hash is not None
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    async with browser(stack) as http:  # the link works once
        again = await choose_password(http, link, "another long enough password")
        assert again.status_code == 422 and INVITATION_GONE in again.text and await whoami(http) is None
        signed = await sign_in(http, "  ava.tanaka@canalhouse.EXAMPLE", PASSWORD)  # the address as typed
        assert signed.status_code == 303 and await whoami(http) == "Ava.Tanaka@canalhouse.example"
    listed = {row["email"]: row for row in (await stack.http.get("/api/operators")).json()}
    assert listed["Ava.Tanaka@canalhouse.example"]["signs_in_with"] == ["password"]
    assert listed["Ava.Tanaka@canalhouse.example"]["invited_until"] is None
    assert listed["admin@test.example"]["signs_in_with"] == ["api_token"]


async def test_only_an_admin_manages_operators_and_bad_invitations_are_refused_in_words(stack: Stack) -> None:
    everything = create_operator(stack.engine, name="Lea", email="lea@test.example", location_ids=["ams"],
                                 is_admin=False, permissions=list(Permission))  # fmt: skip
    as_lea = stack.as_operator(everything)
    for method, path in [("GET", "/api/operators"), ("POST", "/api/operators"),
                         ("POST", "/api/operators/admin-test-example/invitation")]:  # fmt: skip
        refused = await stack.http.request(method, path, headers=as_lea, json=NEWCOMER)
        assert refused.status_code == 403, (path, refused.text)
        assert "only an admin invites operators" in refused.json()["detail"]
    assert (await stack.http.post("/api/operators", json=NEWCOMER, headers={"Authorization": ""})).status_code == 401

    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"location_ids": ["nowhere"]}, 422, "No location nowhere"),
        ({"location_ids": []}, 422, "Name the locations"),
        ({"is_admin": True}, 422, "one or the other"),
        ({"email": "not an address"}, 422, "not a valid email address"),
        ({"name": "  "}, 422, "the name is empty"),
        ({"permissions": ["everything"]}, 422, "permissions"),
        ({"email": "LEA@test.example"}, 409, "is an operator already"),
    ]
    for changes, status, words in cases:
        answer = await stack.http.post("/api/operators", json={**NEWCOMER, **changes})
        assert answer.status_code == status, (changes, answer.text)
        assert words in str(answer.json()["detail"]), (changes, answer.json())
    missing = await stack.http.post("/api/operators/nobody/invitation")
    assert missing.status_code == 404 and "GET /api/operators" in missing.json()["detail"]
    admin = await invited(stack, email="boss@test.example", location_ids=[], is_admin=True)
    assert admin["operator"]["is_admin"] and set(admin["operator"]["permissions"]) == {p.value for p in Permission}


async def test_wrong_passwords_pause_sign_in_and_the_answer_never_says_who_is_an_operator(stack: Stack) -> None:
    link = (await invited(stack))["link"]
    async with browser(stack) as http:
        # Invited, no password yet: the same answer as for an address no one has.
        answers = [await sign_in(http, EMAIL, PASSWORD), await sign_in(http, "who@x.example", PASSWORD),
                   await sign_in(http, "not an address", PASSWORD)]  # fmt: skip
        assert (await choose_password(http, link, PASSWORD)).status_code == 303
        http.cookies.clear()
        answers.append(await sign_in(http, EMAIL, "a wrong password, long"))
        for answer in answers:
            assert answer.status_code == 401 and NOT_SIGNED_IN in answer.text
        assert f'value="{EMAIL}"' in answers[0].text  # what was typed stays
        for _ in range(ATTEMPTS - 1):
            assert (await sign_in(http, EMAIL, "guess")).status_code == 401
        paused = await sign_in(http, EMAIL, PASSWORD)  # the right one, now paused
        assert paused.status_code == 401 and NOT_SIGNED_IN in paused.text and await whoami(http) is None
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=True):
            assert (await sign_in(http, EMAIL, PASSWORD)).status_code == 303
    with Session(stack.engine) as session:
        row = session.exec(select(Operator).where(Operator.email == "Ava.Tanaka@canalhouse.example")).one()
        assert (row.failed_sign_ins, row.locked_until) == (0, None)  # a right password starts the count again


async def test_guesses_sent_at_once_pause_sign_in_as_surely_as_one_by_one(stack: Stack) -> None:
    link = (await invited(stack))["link"]
    async with browser(stack) as http:
        assert (await choose_password(http, link, PASSWORD)).status_code == 303
    # Each guess costs a hash, two at a time in a process: the last answers come after many others, on a busy
    # machine after seconds.
    async with httpx.AsyncClient(base_url=str(stack.http.base_url), timeout=120) as guesser:
        data = {"email": EMAIL, "password": "guess", "sign_in_csrf": await form_field(guesser, "/app/sign-in")}
        guesses = [guesser.post("/app/sign-in", data=data, follow_redirects=False) for _ in range(2 * ATTEMPTS)]
        assert {answer.status_code for answer in await asyncio.gather(*guesses)} == {401}
    # A browser of its own: the guesses' connections idle while the last answers come, and the server may close one
    # just as a request reuses it.
    async with browser(stack) as http:
        assert (await sign_in(http, EMAIL, PASSWORD)).status_code == 401  # paused, however many came at once
    with Session(stack.engine) as session:
        row = session.exec(select(Operator).where(Operator.email == "Ava.Tanaka@canalhouse.example")).one()
        assert row.locked_until is not None and row.failed_sign_ins == 0


async def test_a_new_api_token_keeps_the_password(stack: Stack) -> None:
    link = (await invited(stack))["link"]
    async with browser(stack) as http:
        assert (await choose_password(http, link, PASSWORD)).status_code == 303
    token = create_operator(stack.engine, name="Ava Tanaka", email=EMAIL, location_ids=["ams"], is_admin=False)
    assert (await stack.http.get("/api/me", headers=stack.as_operator(token))).json()["email"] == (
        "Ava.Tanaka@canalhouse.example"
    )
    async with browser(stack) as http:
        assert (await sign_in(http, EMAIL, PASSWORD)).status_code == 303


async def test_a_new_invitation_voids_the_last_and_a_new_password_signs_every_browser_out(stack: Stack) -> None:
    body = await invited(stack)
    async with browser(stack) as first, browser(stack) as second:
        assert (await choose_password(first, body["link"], PASSWORD)).status_code == 303
        assert (await sign_in(second, EMAIL, PASSWORD)).status_code == 303
        assert await whoami(first) == await whoami(second) == "Ava.Tanaka@canalhouse.example"
        forgot = (await stack.http.post(f"/api/operators/{body['operator']['id']}/invitation")).json()
        newest = (await stack.http.post(f"/api/operators/{body['operator']['id']}/invitation")).json()
        assert forgot["link"] != newest["link"]
        assert INVITATION_GONE in (await choose_password(first, forgot["link"], "a brand new passphrase")).text
        assert await whoami(second) is not None  # the old password holds until a new one is chosen
        async with browser(stack) as third:
            assert (await choose_password(third, newest["link"], "a brand new passphrase")).status_code == 303
            assert await whoami(third) == "Ava.Tanaka@canalhouse.example"
        assert await whoami(first) is None and await whoami(second) is None
        assert (await sign_in(first, EMAIL, PASSWORD)).status_code == 401


async def test_an_invitation_expires(stack: Stack) -> None:
    link = (await invited(stack))["link"]
    async with browser(stack) as http:
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=73), tick=True):
            late = await choose_password(http, link, PASSWORD)
            assert late.status_code == 422 and INVITATION_GONE in late.text
            listed = {row["email"]: row for row in (await stack.http.get("/api/operators")).json()}
            assert listed["Ava.Tanaka@canalhouse.example"]["invited_until"] is None


def test_a_process_trusts_no_session_of_an_operator_that_chose_a_new_password() -> None:
    cache = OperatorCache(seconds=60)
    ava, lea = (
        Operator(id="ava", name="Ava", email="ava@x.example"),
        Operator(id="lea", name="Lea", email="l@x.example"),
    )
    for token_hash, operator in (("ava-phone", ava), ("ava-laptop", ava), ("lea-laptop", lea)):
        cache.keep(token_hash, operator)
    cache.forget_operator("ava")
    assert (cache.get("ava-phone"), cache.get("ava-laptop")) == (None, None)
    kept = cache.get("lea-laptop")
    assert kept is not None and kept.id == "lea"
