"""The inbox list at any size: newest first, a cursor that reads on from any page as fast as from the first, totals
that follow every filter and every write to the read model, and rows without the draft the detail shows."""

import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from api.main import create_app
from demo.bulk import seed_proposals
from models.db import session_scope
from models.messages import ActionStatus, Priority
from models.operators import create_operator
from models.tables import InboxCount, ProposedAction, TimelineEntry
from settings import Settings

PROPOSALS = 120


def urlsafe(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@asynccontextmanager
async def served(settings: Settings, engine: Engine, token: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", headers={"Authorization": f"Bearer {token}"}
        ) as http,
    ):
        yield http


def admin(engine: Engine) -> str:
    return create_operator(engine, name="Admin", email="admin@test.example", location_ids=[], is_admin=True)


async def test_a_cursor_walks_every_proposal_once_newest_first(engine: Engine, settings: Settings) -> None:
    seed_proposals(engine, "inbox", PROPOSALS)
    with Session(engine) as session:
        newest_first = session.exec(
            select(ProposedAction.id).order_by(col(ProposedAction.created_at).desc(), col(ProposedAction.id).desc())
        ).all()
    async with served(settings, engine, admin(engine)) as http:
        seen: list[str] = []
        params: dict[str, Any] = {"page_size": 50}
        while True:
            page = (await http.get("/api/inbox", params=params)).json()
            assert page["total"] == PROPOSALS
            seen += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            params = {"page_size": 50, "cursor": page["next_cursor"]}
        second = (await http.get("/api/inbox", params={"page_size": 50, "page": 2})).json()
    assert seen == list(newest_first)
    assert [item["id"] for item in second["items"]] == seen[50:100]
    item = second["items"][0]
    assert "body_html" not in item
    assert item["preview"].startswith("<p>Hello,</p>")
    assert item["customer"]["name"].startswith("Customer ")


async def test_sorted_by_attention_the_most_urgent_come_first_then_the_soonest_to_expire(
    engine: Engine, settings: Settings
) -> None:
    seed_proposals(engine, "inbox", PROPOSALS)
    urgency = {Priority.critical: 0, Priority.high: 1, Priority.normal: 2, Priority.low: 3}
    with session_scope(engine) as session:
        for n, action in enumerate(session.exec(select(ProposedAction).order_by(col(ProposedAction.id)))):
            action.priority = list(Priority)[n * 7 % 4]
            action.expires_at = action.created_at + timedelta(hours=n * 5 % 11)  # not in the order they came
        session.flush()
        expected = sorted(session.exec(select(ProposedAction)).all(),
                          key=lambda row: (urgency[row.priority], row.expires_at, row.id))  # fmt: skip
        wanted = [row.id for row in expected]
    async with served(settings, engine, admin(engine)) as http:
        seen: list[str] = []
        params: dict[str, Any] = {"page_size": 17, "sort": "attention"}
        while True:
            page = (await http.get("/api/inbox", params=params)).json()
            seen += [item["id"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            params = {"page_size": 17, "sort": "attention", "cursor": page["next_cursor"]}
        assert seen == wanted
        # A cursor reads on the list it came from, not one in another order.
        mixed = await http.get("/api/inbox", params={"cursor": params["cursor"]})
        assert mixed.status_code == 422
        assert mixed.json()["detail"] == ("cursor: it reads on the list sorted 'attention'; pass sort=attention "
                                          "with it, or start again without a cursor.")  # fmt: skip


async def test_totals_follow_every_filter_and_every_write(engine: Engine, settings: Settings) -> None:
    seed_proposals(engine, "inbox", PROPOSALS)

    def counted(status: ActionStatus) -> int:
        with Session(engine) as session:
            return session.exec(
                select(func.count()).select_from(ProposedAction).where(col(ProposedAction.status) == status)
            ).one()

    async with served(settings, engine, admin(engine)) as http:

        async def total(**params: str) -> int:
            return (await http.get("/api/inbox", params=params)).json()["total"]

        pending = counted(ActionStatus.pending)
        assert pending > 0
        assert await total(status="pending") == pending
        assert await total(status="pending", agent_type="due_invoice", channel="ai_email") == pending
        assert await total(status="pending", channel="voice") == 0
        assert await total(location_id="elsewhere") == 0
        assert await total(q="customer 11") == len([n for n in range(PROPOSALS) if "11" in str(n)])

        # Whoever writes the read model (an activity, an import, a hand in the database), the totals follow.
        with session_scope(engine) as session:
            first = session.exec(select(ProposedAction).where(col(ProposedAction.status) == "pending")).first()
            assert first is not None
            first.status = ActionStatus.approved
        assert await total(status="pending") == pending - 1
        with session_scope(engine) as session:
            session.execute(update(ProposedAction).values(status=ActionStatus.rejected))
        assert (await total(status="rejected"), await total(status="pending")) == (PROPOSALS, 0)
        with session_scope(engine) as session:
            session.execute(delete(TimelineEntry).where(col(TimelineEntry.proposed_action_id) == first.id))
            session.execute(delete(ProposedAction).where(col(ProposedAction.id) == first.id))
        assert await total() == PROPOSALS - 1
    with Session(engine) as session:
        assert session.exec(select(func.sum(InboxCount.proposals))).one() == PROPOSALS - 1


async def test_a_cursor_not_from_this_api_or_beside_a_page_is_refused(engine: Engine, settings: Settings) -> None:
    seed_proposals(engine, "inbox", 3)
    async with served(settings, engine, admin(engine)) as http:
        first = (await http.get("/api/inbox", params={"page_size": 1})).json()["next_cursor"]
        cases: list[dict[str, Any]] = [
            {"cursor": "yesterday"},  # not base64
            {"cursor": urlsafe("yesterday|outreach:1")},  # not a time
            {"cursor": urlsafe("2026-11-30T10:00:00|outreach:1")},  # no time zone
            {"cursor": urlsafe("2026-11-30T10:00:00+00:00|")},  # no id
            {"cursor": urlsafe("attention|x|2026-11-30T10:00:00+00:00|outreach:1"), "sort": "attention"},  # no rank
            {"cursor": urlsafe("attention|1|outreach:1"), "sort": "attention"},  # no expiry
            {"cursor": first, "page": 2},
        ]
        for params in cases:
            answer = await http.get("/api/inbox", params=params)
            assert answer.status_code == 422, params
            assert "cursor" in answer.json()["detail"]


async def test_a_replaced_token_stops_working_once_its_trust_runs_out(engine: Engine, settings: Settings) -> None:
    for seconds, still_accepted in ((0.0, False), (3600.0, True)):
        old = admin(engine)
        configured = settings.model_copy(update={"operator_cache_seconds": seconds})
        async with served(configured, engine, old) as http:
            assert (await http.get("/api/inbox")).status_code == 200
            admin(engine)  # a new token for the same operator: the old one is no longer valid
            answer = await http.get("/api/inbox")
            assert (answer.status_code == 200) is still_accepted, seconds
            wrong = await http.get("/api/inbox", headers={"Authorization": "Bearer not-a-token"})
            assert wrong.status_code == 401


async def test_a_held_outreach_says_why_in_the_list_and_its_detail(engine: Engine, settings: Settings) -> None:
    seed_proposals(engine, "inbox", 2)
    why = "The customer's contact budget (3 in 7 days) is spent; it has room again on 2026-12-08 10:00 (UTC)."
    with session_scope(engine) as session:
        held = session.exec(select(ProposedAction)).first()
        assert held is not None
        held.status, held.held_reason = ActionStatus.deferred, why
        held_id = held.id
    async with served(settings, engine, admin(engine)) as http:
        [row] = (await http.get("/api/inbox", params={"status": "deferred"})).json()["items"]
        assert (row["id"], row["held_reason"]) == (held_id, why)
        assert (await http.get(f"/api/inbox/{held_id}")).json()["held_reason"] == why


async def test_the_api_reference_needs_nothing_from_the_internet(engine: Engine, settings: Settings) -> None:
    async with served(settings, engine, admin(engine)) as http:
        for page in ("/docs", "/redoc"):
            html = (await http.get(page)).text
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets and all(asset.startswith("/") for asset in assets), assets  # none from another host
            for asset in assets:
                assert (await http.get(asset)).status_code == 200, asset
        assert (await http.get("/openapi.json")).json()["info"]["title"] == "Proactive Outreach"
