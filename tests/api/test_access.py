"""Authentication, per-location authorization and the API's error answers, over HTTP."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

import cli
from api.auth import operator_for_token
from api.main import create_app
from models.messages import AgentType
from models.operators import Permission, create_operator, grant, hash_token
from models.tables import Operator
from settings import Settings, get_settings
from tests.conftest import Stack, poll, poll_emailable

ROUTES = [
    ("GET", "/api/me"),
    ("GET", "/api/inbox"),
    ("GET", "/api/inbox/some-id"),
    ("POST", "/api/inbox/some-id/approve"),
    ("POST", "/api/inbox/some-id/reject"),
    ("POST", "/api/inbox/some-id/snooze"),
    ("GET", "/api/conversations"),
    ("GET", "/api/conversations/some-id"),
    ("GET", "/api/outbox"),
    ("GET", "/api/customers/some-id/history"),
    ("GET", "/api/meta"),
    ("GET", "/api/operators"),
    ("POST", "/api/operators"),
    ("POST", "/api/dev/simulate-reply"),
    ("POST", "/api/dev/simulate-conversion"),
    ("POST", "/api/events/invoice-paid"),
    ("POST", "/api/events/contract-renewed"),
    ("POST", "/api/events/booking-made"),
    ("POST", "/api/events/lead-converted"),
]


async def first_pending(stack: Stack, location_id: str) -> dict[str, Any]:
    await stack.detect(location_id, only=AgentType.due_invoice)  # any agent's would do: one agent's is enough

    async def proposed() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"location_id": location_id, "status": "pending", "page_size": 50}
        return (await stack.http.get("/api/inbox", params=params)).json()["items"] or None

    return await poll_emailable(stack.http, proposed, f"an emailable pending proposal at {location_id}")


async def test_every_api_route_needs_a_valid_token(stack: Stack) -> None:
    for method, path in ROUTES:  # one stack for them all: a refusal changes nothing
        missing = await stack.http.request(method, path, headers={"Authorization": ""})
        assert missing.status_code == 401, (method, path)
        assert "Authorization: Bearer" in missing.json()["detail"]
        wrong = await stack.http.request(method, path, headers=stack.as_operator("not-a-token"))
        assert wrong.status_code == 401, (method, path)
        assert "not valid" in wrong.json()["detail"]


async def test_an_operator_sees_and_acts_only_on_its_locations(stack: Stack) -> None:
    ams = await first_pending(stack, "ams")
    atx = await first_pending(stack, "atx")
    # Give the ams action a conversation and an outbox entry, as the admin.
    await stack.http.post(f"/api/inbox/{ams['id']}/approve", json={})

    async def sent() -> bool:
        return (await stack.http.get(f"/api/inbox/{ams['id']}")).json()["status"] == "sent"

    await poll(sent, "the ams action to be sent")
    await stack.http.post("/api/dev/simulate-reply", json={"proposed_action_id": ams["id"], "body": "Hello?"})
    conversation_id = f"conversation:{ams['id']}"

    async def answered() -> bool:
        return (await stack.http.get("/api/outbox")).json()["total"] == 2

    await poll(answered, "the AI's answer in the ams conversation")

    token = create_operator(
        stack.engine, name="Austin desk", email="desk@atx.example", location_ids=["atx"], is_admin=False
    )
    austin = stack.as_operator(token)
    inbox = (await stack.http.get("/api/inbox", headers=austin, params={"page_size": 200})).json()
    assert inbox["total"] > 0
    assert {item["location_id"] for item in inbox["items"]} == {"atx"}
    assert (await stack.http.get("/api/inbox", headers=austin, params={"location_id": "ams"})).json()["total"] == 0
    assert (await stack.http.get(f"/api/inbox/{atx['id']}", headers=austin)).status_code == 200

    foreign = [
        ("GET", f"/api/inbox/{ams['id']}", None),
        ("POST", f"/api/inbox/{ams['id']}/approve", {}),
        ("POST", f"/api/inbox/{ams['id']}/reject", {"reason": "no"}),
        ("POST", f"/api/inbox/{ams['id']}/snooze", {"until": "2030-01-01T09:00:00+00:00"}),
        ("GET", f"/api/conversations/{conversation_id}", None),
        ("GET", f"/api/customers/{ams['customer']['id']}/history", None),
        ("POST", "/api/dev/simulate-reply", {"proposed_action_id": ams["id"], "body": "hi"}),
    ]
    for method, path, body in foreign:
        response = await stack.http.request(method, path, headers=austin, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert "No " in response.json()["detail"]
    theirs = (await stack.http.get("/api/conversations", headers=austin, params={"page_size": 200})).json()["items"]
    assert theirs and {conversation["location_id"] for conversation in theirs} == {"atx"}  # the demo's chats there
    assert (await stack.http.get("/api/outbox", headers=austin)).json()["total"] == 0
    assert (await stack.http.get(f"/api/conversations/{conversation_id}")).status_code == 200  # the admin does
    # The admin sees the customer's history: the outreach sent, the conversation it started.
    history = (await stack.http.get(f"/api/customers/{ams['customer']['id']}/history")).json()
    assert (history["time_zone"], history["name"]) == ("Europe/Amsterdam", ams["customer"]["name"])
    assert {"id": ams["id"], "status": "sent"}.items() <= next(
        o for o in history["outreach"] if o["id"] == ams["id"]
    ).items()
    assert [talk["id"] for talk in history["conversations"]] == [conversation_id]


async def test_unknown_ids_answer_404(stack: Stack) -> None:
    for path in ("/api/inbox/outreach:ams:due_invoice:NOPE", "/api/conversations/conversation:nope"):
        response = await stack.http.get(path)
        assert response.status_code == 404
        assert "nope" in response.json()["detail"].lower()
    response = await stack.http.post("/api/inbox/outreach:ams:due_invoice:NOPE/approve", json={})
    assert response.status_code == 404


async def test_bad_input_gets_a_readable_422_and_changes_nothing(stack: Stack) -> None:
    action = await first_pending(stack, "ams")
    base = f"/api/inbox/{action['id']}"
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("snooze", {"until": "2030-01-01T09:00:00"}, "until: Input should have timezone info"),
        ("snooze", {"until": "next tuesday"}, "until: Input should be a valid datetime"),
        ("snooze", {"until": "2001-01-01T09:00:00+00:00"}, "must be in the future"),
        ("approve", {"channel": "pigeon"}, "There is no 'pigeon' channel. Approve with ai_email, email or helpdesk."),
        ("approve", {"channel": "email"}, "Choose where the email is sent from"),
        ("approve", {"channel": "email", "send_from": "acct-nowhere"}, "There is no email account 'acct-nowhere'"),
        ("approve", {"channel": "chat"}, "The chat channel is not available yet"),
        ("approve", {"channel": "voice"}, "The Voice AI agent is not enabled for this location"),
        ("approve", {"body_html": "<script>x</script>"}, "body cannot be empty"),
        ("approve", {"colour": "red"}, "colour: Extra inputs are not permitted"),
    ]
    for decision, body, expected in cases:
        response = await stack.http.post(f"{base}/{decision}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert expected in response.json()["detail"], response.json()["detail"]
    for params in ({"status": "bogus"}, {"page": 0}, {"page_size": 1000}):
        response = await stack.http.get("/api/inbox", params=params)
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], str)
    assert (await stack.http.get(base)).json()["status"] == "pending"


async def test_snoozed_proposals_can_still_be_decided_and_replies_need_a_sent_message(stack: Stack) -> None:
    action = await first_pending(stack, "atx")
    until = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    snoozed = await stack.http.post(f"/api/inbox/{action['id']}/snooze", json={"until": until})
    assert snoozed.status_code == 200
    assert snoozed.json()["status"] == "snoozed"
    early_reply = await stack.http.post(
        "/api/dev/simulate-reply", json={"proposed_action_id": action["id"], "body": "hi"}
    )
    assert early_reply.status_code == 409
    assert "approve it first" in early_reply.json()["detail"]
    rejected = await stack.http.post(f"/api/inbox/{action['id']}/reject", json={"reason": "Handled by phone"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "Handled by phone"
    again = await stack.http.post(f"/api/inbox/{action['id']}/snooze", json={"until": until})
    assert again.status_code == 409


async def test_the_servers_address_leads_to_the_web_app(stack: Stack) -> None:
    home = await stack.http.get("/", follow_redirects=False)
    assert home.status_code == 307 and home.headers["location"] == "/app"


async def test_the_web_app_is_never_framed_cached_or_given_another_sites_scripts(stack: Stack) -> None:
    for path in ("/app/sign-in", "/app", "/app/static/app.js"):
        answer = await stack.http.get(path, follow_redirects=False)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert answer.headers["cache-control"] == "no-store" and answer.headers["x-frame-options"] == "DENY", path
    assert "content-security-policy" not in (await stack.http.get("/api/me")).headers  # the JSON API is no page


async def test_health_reports_database_and_temporal(stack: Stack) -> None:
    response = await stack.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_changing_things_needs_the_permission_for_it(stack: Stack) -> None:
    action = await first_pending(stack, "atx")
    desk = stack.as_operator(
        create_operator(stack.engine, name="Front desk", email="desk@atx.example", location_ids=["atx"], is_admin=False)
    )
    changes = [
        ("PUT", "/api/agents/due_invoice", {"location_id": "atx"}, {"daily_max": 3}),
        ("PUT", "/api/detection/schedule", {"location_id": "atx"}, {"interval_minutes": 30}),
        ("POST", "/api/detection/run", None, {"location_id": "atx"}),
    ]
    for method, path, params, body in changes:
        response = await stack.http.request(method, path, headers=desk, params=params, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["detail"] == (
            "Front desk may not configure agents and detection, and run detection: that needs the agentConfig "
            "permission. An admin can grant it: outreach operators grant desk@atx.example --permission agentConfig"
        )
    # Reading needs no permission, and reviewing is what a new operator may do by default.
    assert (await stack.http.get("/api/agents", headers=desk, params={"location_id": "atx"})).status_code == 200
    preview = await stack.http.post("/api/agents/due_invoice/preview", headers=desk, params={"location_id": "atx"})
    assert preview.status_code == 200
    until = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    snoozed = await stack.http.post(f"/api/inbox/{action['id']}/snooze", headers=desk, json={"until": until})
    assert snoozed.status_code == 200, snoozed.text

    grant(stack.engine, "desk@atx.example", [Permission.agent_config])
    method, path, params, body = changes[0]

    async def granted() -> httpx.Response | None:
        response = await stack.http.request(method, path, headers=desk, params=params, json=body)
        return response if response.status_code == 200 else None

    # An API process trusts what it knows of an operator for OUTREACH_OPERATOR_CACHE_SECONDS (5 s by default).
    response = await poll(granted, "the grant to take effect", seconds=15)
    assert response.json()["daily_max"] == 3

    configurer = stack.as_operator(
        create_operator(stack.engine, name="Ops", email="ops@atx.example", location_ids=["atx"], is_admin=False,
                        permissions=[Permission.agent_config])
    )  # fmt: skip
    rejected = await stack.http.post(f"/api/inbox/{action['id']}/reject", headers=configurer, json={"reason": "no"})
    assert rejected.status_code == 403
    assert "needs the proposedAction permission" in rejected.json()["detail"]
    assert (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "snoozed"


async def test_operators_whose_addresses_differ_only_in_punctuation_are_two(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As an admin does it: `outreach operators create`, each printing a new token.
    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    tokens = {}
    for name, email in [("Anna Bell", "a.b@x.example"), ("Alex Berg", "a-b@x.example")]:
        created = runner.invoke(cli.app, ["operators", "create", name, email, "--location", "ams"])
        assert created.exit_code == 0, created.output
        tokens[email] = created.output.strip()
    get_settings.cache_clear()
    app = create_app(settings, engine)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://api") as http:  # fmt: skip
        who = {email: (await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})).json()
               for email, token in tokens.items()}  # fmt: skip
    assert [(who[email]["name"], who[email]["email"]) for email in tokens] == [
        ("Anna Bell", "a.b@x.example"),
        ("Alex Berg", "a-b@x.example"),
    ]
    assert who["a.b@x.example"]["id"] != who["a-b@x.example"]["id"]
    # The same address again is the same operator, with a new token: the old one stops working.
    again = create_operator(engine, name="Anna Bell", email="A.B@x.example", location_ids=["ams"], is_admin=False)
    with Session(engine) as session:
        assert len(session.exec(select(Operator)).all()) == 2
        assert operator_for_token(session, hash_token(again), timedelta(hours=1)) is not None
        assert operator_for_token(session, hash_token(tokens["a.b@x.example"]), timedelta(hours=1)) is None
