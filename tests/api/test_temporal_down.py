"""With Temporal unreachable the API still serves reads and answers decisions with a clear 503."""

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.main import create_app
from models.db import make_engine, session_scope
from models.messages import ActionStatus, AgentType, Channel
from models.operators import create_operator
from models.tables import ProposedAction
from settings import Settings
from tests.conftest import free_port
from tests.factories import LOCATION_ID, add_customer, add_location


async def test_decisions_answer_503_and_reads_keep_working(engine: Engine, settings: Settings) -> None:
    add_location(engine)
    add_customer(engine, "cust-1")
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(
            ProposedAction(
                id="outreach:loc-test:due_invoice:INV-9",
                location_id=LOCATION_ID,
                agent_type=AgentType.due_invoice,
                dedup_key="due_invoice:INV-9",
                customer_id="cust-1",
                status=ActionStatus.pending,
                channel=Channel.ai_email,
                subject="Reminder",
                body_html="<p>Hi</p>",
                body_text="Hi",
                reason="Overdue",
                confidence=90,
                created_at=now,
                expires_at=now + timedelta(days=3),
            )
        )
    token = create_operator(engine, name="Admin", email="admin@test.example", location_ids=[], is_admin=True)
    nobody = await Client.connect(f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True)
    app = create_app(settings, engine, nobody)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://api",
            headers={"Authorization": f"Bearer {token}"},
        ) as http,
    ):
        assert (await http.get("/api/inbox")).json()["total"] == 1
        approve = await http.post("/api/inbox/outreach:loc-test:due_invoice:INV-9/approve", json={})
        assert approve.status_code == 503 and approve.headers["Retry-After"]
        assert "could not be reached" in approve.json()["detail"]
        health = await http.get("/healthz")
        assert health.status_code == 503
        assert health.json()["temporal"].startswith("unreachable")


async def test_with_the_database_away_every_route_answers_503_with_when_to_try_again(settings: Settings) -> None:
    """A database that refuses connections (nothing listens on its port): no 500, a 503 that says to retry."""
    away = make_engine(f"postgresql://nobody@127.0.0.1:{free_port()}/outreach")
    nobody = await Client.connect(f"127.0.0.1:{free_port()}", data_converter=pydantic_data_converter, lazy=True)
    app = create_app(settings, away, nobody)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http,
    ):
        for path in ("/api/inbox", "/api/me", "/api/conversations"):
            answer = await http.get(path, headers={"Authorization": "Bearer some-token"})
            assert answer.status_code == 503 and answer.headers["Retry-After"], (path, answer.text)
            assert "database could not be reached" in answer.json()["detail"]
        health = await http.get("/healthz")
        assert health.status_code == 503 and health.json()["database"].startswith("unreachable")
    away.dispose()
