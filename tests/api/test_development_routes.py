"""The development routes — `/api/dev`, where an operator plays the customer and the space's systems, and the web
app's "Reply as the customer" — exist only with OUTREACH_DEVELOPMENT, never because a provider is missing; and in
development each needs the permission of what it stands in for."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.testing import ActivityEnvironment

from activities.db import DbActivities
from api.main import create_app
from models.messages import ActionStatus
from models.operators import Permission, create_operator
from settings import Settings
from tests.api.test_web_sessions import sign_in
from tests.conftest import PORTAL_SECRET, REPLY_SECRET
from tests.factories import LOCATION_ID, proposal

SECRETS: dict[str, Any] = {"reply_token_secret": REPLY_SECRET, "portal_link_secret": PORTAL_SECRET}
DEV_ROUTES = ["/api/dev/simulate-reply", "/api/dev/simulate-conversion"]


@asynccontextmanager
async def api(settings: Settings, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://api") as http:  # fmt: skip
        yield http


def sent_proposal(engine: Engine) -> str:
    """A delivered outreach about a real, unpaid invoice: what the attacker wants marked paid or answered."""
    change = proposal(engine)
    state = change.record.state.model_copy(update={"status": ActionStatus.sent})
    change = change.model_copy(update={"record": change.record.model_copy(update={"state": state})})
    ActivityEnvironment().run(DbActivities(engine).record_proposal, change)
    return change.record.action_id


def operator(engine: Engine, permissions: list[Permission]) -> dict[str, str]:
    token = create_operator(engine, name="Desk", email="desk@test.example", location_ids=[LOCATION_ID],
                            is_admin=False, permissions=permissions)  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "deployment",
    [{"sendgrid_api_key": "SG.real-key"}, {"smtp_host": "smtp.example.com"}, {}],
    ids=["sendgrid only", "smtp only", "no provider"],
)
async def test_outside_development_there_are_no_development_routes(
    deployment: dict[str, Any], tmp_path: Path, database_url: str, engine: Engine
) -> None:
    # Before, a deployment without both SendGrid and Twilio served them: anyone signed in played its customers.
    action_id = sent_proposal(engine)
    admin = operator(engine, list(Permission))
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, **SECRETS, **deployment)
    async with api(settings, engine) as http:
        for path in DEV_ROUTES:
            answer = await http.post(path, headers=admin, json={"proposed_action_id": action_id, "body": "Paid!"})
            assert answer.status_code == 404 and answer.json()["detail"] == "Not Found", path
        assert not any(path.startswith("/api/dev") for path in (await http.get("/openapi.json")).json()["paths"])


async def test_in_development_each_route_needs_the_permission_of_what_it_plays(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    action_id = sent_proposal(engine)
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True)
    nobody = operator(engine, [])
    async with api(settings, engine) as http:
        # Playing the customer answers a proposal: what a reviewer may do. A conversion is the space's systems.
        for path, needed in zip(DEV_ROUTES, (Permission.proposed_action, Permission.space_events), strict=True):
            answer = await http.post(path, headers=nobody, json={"proposed_action_id": action_id, "body": "Paid!"})
            assert answer.status_code == 403, answer.text
            assert f"that needs the {needed.value} permission" in answer.json()["detail"]
        reviewer = operator(engine, [Permission.proposed_action])
        converting = await http.post(DEV_ROUTES[1], headers=reviewer, json={"proposed_action_id": action_id})
        assert converting.status_code == 403 and "spaceEvents" in converting.json()["detail"]
        # With the permission, the route is there (and says what it cannot find).
        elsewhere = await http.post(DEV_ROUTES[0], headers=reviewer, json={"proposed_action_id": "nope", "body": "x"})
        assert elsewhere.status_code == 404 and elsewhere.json()["detail"] == "No proposed action with id 'nope'."


async def test_the_web_app_offers_to_reply_as_the_customer_only_in_development(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    action_id = sent_proposal(engine)
    admin = operator(engine, list(Permission))["Authorization"].removeprefix("Bearer ")
    production = Settings(data_dir=tmp_path, DATABASE_URL=database_url, smtp_host="smtp.example.com", **SECRETS)
    development = Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True)
    for settings, offered in ((production, False), (development, True)):
        async with api(settings, engine) as http:
            await sign_in(http, admin)
            page = await http.get(f"/app/inbox/{action_id}")
            assert page.status_code == 200 and ("Reply as the customer" in page.text) is offered
