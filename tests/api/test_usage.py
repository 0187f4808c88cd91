"""`GET /api/usage` summed by the database, on both: per agent and UTC day, newest first, the same answer as adding
up every proposal would give — days split exactly at UTC midnight, older proposals and other locations left out."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, event, update
from sqlmodel import Session, col, select

from api.main import create_app
from demo.bulk import seed_proposals
from models.db import session_scope
from models.messages import AgentType
from models.operators import create_operator
from models.tables import ProposedAction
from settings import Settings

AGENTS = list(AgentType)


def summed_by_hand(engine: Engine, location_id: str, since: datetime) -> list[dict[str, Any]]:
    """What the answer must be: every proposal of the location since then, added up one by one."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    with Session(engine) as session:
        for row in session.exec(select(ProposedAction).where(col(ProposedAction.location_id) == location_id)):
            if row.created_at < since:
                continue
            key = (row.created_at.astimezone(UTC).date().isoformat(), row.agent_type.value)
            total = totals.setdefault(
                key,
                {
                    "day": key[0],
                    "agent_type": key[1],
                    "proposals": 0,
                    "model_drafts": 0,
                    "fallbacks": 0,
                    "prompt_tokens": 0,
                    "completion_tokens": 0,
                    "cost_usd": 0.0,
                },
            )
            total["proposals"] += 1
            total["model_drafts"] += row.composed_by != "offline"
            total["fallbacks"] += row.fallback_reason is not None
            total["prompt_tokens"] += row.prompt_tokens
            total["completion_tokens"] += row.completion_tokens
            total["cost_usd"] += row.cost_usd
    return sorted(totals.values(), key=lambda total: (total["day"], total["agent_type"]), reverse=True)


async def test_usage_is_summed_by_the_database_per_agent_and_utc_day(engine: Engine, settings: Settings) -> None:
    ids = [action_id for location in ("use", "other") for action_id in _proposals(engine, location)]
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # Around UTC midnight, over two weeks, and one too old to count; drafts by a model, fallbacks, costs.
    times = [midnight - timedelta(microseconds=1), midnight, midnight + timedelta(hours=1)]
    times += [midnight - timedelta(days=3, hours=5), midnight - timedelta(days=13), midnight - timedelta(days=40)]
    with session_scope(engine) as session:
        for n, action_id in enumerate(ids):
            model = n % 3 != 0
            usage = {"prompt_tokens": 420 * model, "completion_tokens": 180 * model, "cost_usd": 0.000171 * (n % 7)}
            changes = {
                "created_at": times[n % len(times)],
                "agent_type": AGENTS[n % len(AGENTS)],
                "composed_by": "openai/gpt-4o-mini" if model else "offline",
                "fallback_reason": "TimeoutError: no answer" if n % 5 == 0 else None,
            }
            session.execute(
                update(ProposedAction).where(col(ProposedAction.id) == action_id).values(**changes, **usage)
            )
    desk = create_operator(engine, name="Desk", email="desk@use.example", location_ids=["use"], is_admin=False)
    statements: list[str] = []

    def seen(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    event.listen(engine, "before_cursor_execute", seen)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://api", headers={"Authorization": f"Bearer {desk}"}
        ) as http,
    ):
        answered = (await http.get("/api/usage", params={"days": 30})).json()
        elsewhere = (await http.get("/api/usage", params={"location_id": "other"})).json()
    event.remove(engine, "before_cursor_execute", seen)
    # The database adds up: no statement reads the proposals one by one into the API's memory.
    read = [statement for statement in statements if "FROM proposed_action" in statement]
    assert len(read) == 2 and all("GROUP BY" in statement for statement in read)
    expected = summed_by_hand(engine, "use", datetime.now(UTC) - timedelta(days=30))
    assert [{**row, "cost_usd": round(row["cost_usd"], 9)} for row in answered] == [
        {**row, "cost_usd": round(row["cost_usd"], 9)} for row in expected
    ]
    days = [row["day"] for row in answered]
    assert (midnight - timedelta(microseconds=1)).date().isoformat() in days and midnight.date().isoformat() in days
    assert len(set(days)) == 4  # the 40-day-old proposals are not in the last 30 days
    assert elsewhere == []  # not the operator's location


def _proposals(engine: Engine, location_id: str) -> list[str]:
    seed_proposals(engine, location_id, 60)
    with Session(engine) as session:
        return list(session.exec(select(ProposedAction.id).where(col(ProposedAction.location_id) == location_id)))
