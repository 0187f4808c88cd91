"""With an email provider, an admin's invitation goes to the operator's mailbox — through the fake SendGrid — and
nowhere else: not in the API's answer, not in the workflow's history a reader of the Temporal UI sees. The emailed
link works once, as any invitation does; a provider that refuses the address is said so, in words."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from models.operators import INVITATION_GONE
from settings import Settings
from tests.api.test_operators import NEWCOMER, PASSWORD, browser, choose_password, sign_in, whoami
from tests.api.test_sendgrid_events import fake  # noqa: F401 (the fake SendGrid fixture)
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, poll
from tests.fakes.sendgrid_server import API_KEY, Answer, FakeSendGrid

pytestmark = pytest.mark.one_database  # the subject is the wire to the provider, not the database


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fake: FakeSendGrid) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, operator_cache_seconds=0, sendgrid_api_key=API_KEY,
                    sendgrid_api_url=fake.base_url, reply_token_secret=REPLY_SECRET,
                    portal_link_secret=PORTAL_SECRET)  # fmt: skip


def emailed_link(mail: dict[str, Any]) -> str:
    html = mail["content"][1]["value"]
    start = html.index("/app/invitation#")
    return "http://127.0.0.1" + html[start : html.index('"', start)]


async def test_an_invitation_is_emailed_and_only_the_operator_holds_its_link(
    stack: Stack,
    fake: FakeSendGrid,  # noqa: F811
) -> None:
    invited = await stack.http.post("/api/operators", json=NEWCOMER)
    assert invited.status_code == 201, invited.text
    answer = invited.json()
    email = answer["operator"]["email"]
    assert (answer["link"], answer["emailed_to"]) == (None, email)
    assert invited.headers["cache-control"] == "no-store"
    [mail] = fake.accepted
    assert mail["personalizations"][0]["to"][0]["email"] == email
    assert mail["from"]["email"] == "hello@canalhouse.example"  # the first of the operator's locations
    link = emailed_link(mail)
    token = urlsplit(link).fragment
    assert len(token) >= 40 and token not in invited.text

    # No reader of the workflow's history learns it either.
    async def recorded() -> list[str] | None:
        found = [execution.id async for execution in stack.client.list_workflows('WorkflowType="InvitationWorkflow"')]
        return found or None

    [workflow_id] = await poll(recorded, "the invitation's workflow to be listed")
    history = await stack.client.get_workflow_handle(workflow_id).fetch_history()
    assert token not in json.dumps(history.to_json())

    # The link works, once.
    async with browser(stack) as http:
        chosen = await choose_password(http, link, PASSWORD)
        assert chosen.status_code == 303, chosen.text
        assert await whoami(http) == email
    async with browser(stack) as http:
        again = await choose_password(http, link, "another long enough password")
        assert again.status_code == 422 and INVITATION_GONE in again.text
        assert (await sign_in(http, NEWCOMER["email"], PASSWORD)).status_code == 303


async def test_an_address_the_provider_refuses_is_said_so(stack: Stack, fake: FakeSendGrid) -> None:  # noqa: F811
    fake.script = [Answer(status=400)]
    refused = await stack.http.post("/api/operators", json=NEWCOMER)
    assert refused.status_code == 502, refused.text
    detail = refused.json()["detail"]
    assert "could not be emailed to Ava.Tanaka@canalhouse.example" in detail
    assert "valid address" in detail and "Nothing was sent" in detail
    # The operator was added: a new invitation goes once the provider takes the address.
    [operator] = [row for row in (await stack.http.get("/api/operators")).json() if row["name"] == NEWCOMER["name"]]
    assert operator["invited_until"] is None  # the refused link was never sent, and opens nothing
    again = await stack.http.post(f"/api/operators/{operator['id']}/invitation")
    assert again.status_code == 201 and again.json()["emailed_to"] == operator["email"]
