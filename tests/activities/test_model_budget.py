"""A location's monthly model budget, with litellm for real against the local OpenAI-compatible server (which
reports usage, priced by litellm's own list): every call's cost is written down, drafts and turns alike, billed
whether or not its answer was used; once the month's spend reaches the ceiling, no model is called there — drafts
come from the offline composer and conversations go to the team — until the location's next month begins."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.db import DbActivities
from activities.llm import LlmActivities
from activities.turns import ConversationActivities
from models.db import session_scope
from models.messages import Channel, CustomerMessage, Draft, EscalationReason, OutreachInput, Turn, TurnRequest
from models.tables import Location, ModelSpend
from providers.llm import language_model
from safeguards.model_budget import spent_this_month
from settings import Settings
from tests.activities.test_llm_composer import good_answer
from tests.conftest import free_port
from tests.factories import LOCATION_ID, add_location, overdue_invoice_input, proposal
from tests.fakes.openai_server import FakeOpenAI, Reply, call, fake_openai

# One call of the fake (420 prompt and 180 completion tokens of gpt-4o-mini) costs $0.000171: a ceiling below that
# is spent by the first call.
TINY = 0.0001
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the test location's time zone


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with fake_openai(free_port()) as fake:
        yield fake


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def with_model(settings: Settings, fake: FakeOpenAI, budget: float) -> Settings:
    model = {"llm_model": "openai/gpt-4o-mini", "llm_api_base": fake.base_url, "llm_timeout_seconds": 5.0}
    return settings.model_copy(update={**model, "llm_monthly_budget_usd": budget})


def spend(engine: Engine) -> list[tuple[str, str, float]]:
    """What was written down: each call's purpose, what it was for, and its cost."""
    with Session(engine) as session:
        rows = session.exec(select(ModelSpend).order_by(col(ModelSpend.at))).all()
        return [(row.purpose, row.reference, row.cost_usd) for row in rows]


def spent_sentence(cost: float, ceiling: float) -> str:
    return (
        f"The AI's monthly model budget for Test Space loc-test is spent: ${cost:.6g} of ${ceiling:.6g} in "
        f"{datetime.now(AMSTERDAM):%B %Y}."
    )


async def compose(engine: Engine, settings: Settings, input: OutreachInput) -> Draft:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="outreach:loc-test:due_invoice:INV-1")
    activities = LlmActivities(engine, language_model(settings), settings.llm_monthly_budget_usd)
    draft: Draft = await env.run(activities.compose_draft, input)
    return draft


async def test_once_the_budget_is_spent_drafts_come_from_the_offline_composer(
    engine: Engine, settings: Settings, llm: FakeOpenAI
) -> None:
    model, input = with_model(settings, llm, TINY), overdue_invoice_input(engine)
    llm.script = [Reply("this is not json {")]  # rejected, and billed all the same
    with pytest.raises(ApplicationError, match="not usable"):
        await compose(engine, model, input)
    [(purpose, reference, cost)] = spend(engine)
    assert (purpose, reference) == ("draft", "outreach:loc-test:due_invoice:INV-1") and cost > TINY

    draft = await compose(engine, model, input)
    assert (draft.composed_by, draft.fallback_reason) == ("offline", spent_sentence(cost, TINY))
    assert "€1,234.56" in draft.body_html
    assert len(llm.requests) == 1  # the second draft called no model
    assert len(spend(engine)) == 1


async def test_a_good_draft_is_written_down_with_its_cost(engine: Engine, settings: Settings, llm: FakeOpenAI) -> None:
    input = overdue_invoice_input(engine)
    llm.script = [Reply(good_answer(input))]
    draft = await compose(engine, with_model(settings, llm, 50.0), input)
    assert draft.composed_by == "openai/gpt-4o-mini"
    [(purpose, _, cost)] = spend(engine)
    assert purpose == "draft" and cost == pytest.approx(draft.cost_usd) and cost > 0


async def turn(engine: Engine, settings: Settings, action_id: str, body: str) -> Turn:
    activities = ConversationActivities(
        engine, language_model(settings), settings.critical_dispute_cents, settings.llm_monthly_budget_usd
    )
    message = CustomerMessage(id=str(uuid.uuid4()), channel=Channel.ai_email, body=body, received_at=datetime.now(UTC))
    request = TurnRequest(conversation_id=f"conversation:{action_id}", action_id=action_id, message=message)
    answered: Turn = await ActivityEnvironment().run(activities.converse, request)
    return answered


@pytest.fixture
def action_id(engine: Engine) -> str:
    change = proposal(engine)
    DbActivities(engine).record_proposal(change)
    return change.record.action_id


async def test_once_the_budget_is_spent_the_conversation_goes_to_the_team(
    engine: Engine, settings: Settings, llm: FakeOpenAI, action_id: str
) -> None:
    model = with_model(settings, llm, TINY)
    llm.script = [call("invoice_details", {"invoice_number": "INV-1"})]
    first = await turn(engine, model, action_id, "Can you remind me what this covers?")
    assert [tool.name for tool in first.tool_calls] == ["invoice_details"]
    [(purpose, reference, cost)] = spend(engine)
    assert (purpose, reference) == ("conversation", f"conversation:{action_id}") and cost > TINY

    handed = await turn(engine, model, action_id, "And when is it due?")
    assert handed.escalation is not None
    assert (handed.escalation.reason, handed.escalation.detail) == (
        EscalationReason.ai_budget_spent,
        spent_sentence(cost, TINY),
    )
    assert "I've passed it to our team" in handed.reply_html and "follow up by email" in handed.reply_html
    assert len(llm.requests) == 1  # the handover called no model, not even to word it
    # What the engine decides itself (an opt-out) needs no model and still happens.
    stop = await turn(engine, model, action_id, "STOP")
    assert [tool.name for tool in stop.tool_calls] == ["opt_out"] and len(llm.requests) == 1

    # A location's own ceiling overrides the setting: 0 sets none.
    with session_scope(engine) as session:
        location = session.get(Location, LOCATION_ID)
        assert location is not None
        location.llm_monthly_budget_usd = 0
    llm.script = [call("invoice_details", {"invoice_number": "INV-1"})]
    again = await turn(engine, model, action_id, "What does it cover again?")
    assert [tool.name for tool in again.tool_calls] == ["invoice_details"] and len(llm.requests) == 2


def test_the_month_is_the_locations_own(engine: Engine) -> None:
    add_location(engine)
    add_location(engine, "loc-chicago", time_zone="America/Chicago")
    # Late on 31 January in Amsterdam is early in UTC's day; in Chicago it is already 1 February in UTC.
    amsterdam_jan = datetime(2027, 1, 31, 23, 30, tzinfo=AMSTERDAM)  # 22:30 UTC
    chicago_jan = datetime(2027, 1, 31, 20, 0, tzinfo=ZoneInfo("America/Chicago"))  # 02:00 UTC, 1 February
    with session_scope(engine) as session:
        for n, (location, at) in enumerate([(LOCATION_ID, amsterdam_jan), ("loc-chicago", chicago_jan)]):
            session.add(
                ModelSpend(id=f"spend-{n}", location_id=location, at=at, purpose="draft", reference="x", cost_usd=1.0)
            )
        amsterdam, chicago = session.get(Location, LOCATION_ID), session.get(Location, "loc-chicago")
        assert amsterdam is not None and chicago is not None
        february = datetime(2027, 2, 1, 0, 30, tzinfo=UTC)  # Amsterdam: February; Chicago: still January
        assert spent_this_month(session, amsterdam, february) == 0.0
        assert spent_this_month(session, amsterdam, amsterdam_jan) == 1.0
        assert spent_this_month(session, chicago, february) == 1.0
        assert spent_this_month(session, chicago, datetime(2027, 2, 1, 6, 30, tzinfo=UTC)) == 0.0  # 00:30 there
