"""The model path with every kind of model: litellm for real against the fake OpenAI-compatible server speaking the
dialects of self-hosted servers (no required tool choice, grammar builders that refuse schema constraints, no null
content), and models that answer in plain text or write their function calls as JSON in their text. A customer
gets an answer, never `ai_unavailable`, and a server that refuses says what to fix."""

import json

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from models.messages import EscalationReason, ToolRequest, ToolResult, ToolStep, TurnOutcome
from settings import Settings
from tests.activities.test_model_turns import LLM_ATTEMPTS, action_id, api_key, llm, turn, with_model
from tests.fakes.openai_server import FakeOpenAI, Reply

# What it tests is the dialects of OpenAI-compatible servers, not the database: SQLite in `make test` (see the marker).
pytestmark = pytest.mark.one_database

__all__ = ["action_id", "api_key", "llm"]  # the fixtures this module shares

SELF_HOSTED = {"auto_only", "grammar", "content_required"}


async def test_a_self_hosted_server_gets_what_it_can_build_and_a_plain_text_answer_is_the_reply(
    engine: Engine, settings: Settings, llm: FakeOpenAI, action_id: str
) -> None:
    llm.dialect = SELF_HOSTED
    llm.script = [Reply(content="Hi Ada, I've passed on your thanks.\n\nHave a good day!")]
    answered = await turn(engine, with_model(settings, llm, tool_choice=""), action_id, "Thanks for the reminder")
    assert answered.outcome is TurnOutcome.reply
    assert answered.reply_html == "<p>Hi Ada, I've passed on your thanks.</p><p>Have a good day!</p>"
    [asked] = llm.requests
    assert asked["tool_choice"] == "auto"
    written = json.dumps(asked["tools"])
    assert "maxLength" not in written and "$ref" not in written and '"enum"' in written  # enums written in place


async def test_the_answers_after_tool_use_carry_text_not_null(
    engine: Engine, settings: Settings, llm: FakeOpenAI, action_id: str
) -> None:
    llm.dialect = SELF_HOSTED
    llm.script = [Reply(content="Your invoice INV-1 is still open.")]
    found = ToolStep(request=ToolRequest(call_id="c1", name="invoice_details", arguments={"invoice_number": "INV-1"}),
                     result=ToolResult(name="invoice_details", ok=True, content={"invoices": []}))  # fmt: skip
    answered = await turn(engine, with_model(settings, llm, tool_choice=""), action_id, "What is open?", steps=[found])
    assert answered.reply_html == "<p>Your invoice INV-1 is still open.</p>"
    assistant = [m for m in llm.requests[0]["messages"] if m["role"] == "assistant"]
    assert assistant and all(m["content"] == "" for m in assistant)


@pytest.mark.parametrize(
    "written",
    [
        '```json\n{"name": "invoice_details", "arguments": {"invoice_number": "INV-1"}}\n```',
        '<tool_call>{"name": "invoice_details", "arguments": {"invoice_number": "INV-1"}}</tool_call>',
        '{"function": {"name": "invoice_details", "arguments": "{\\"invoice_number\\": \\"INV-1\\"}"}}',
    ],
)
async def test_a_function_call_written_in_the_text_is_a_call(
    engine: Engine, settings: Settings, llm: FakeOpenAI, action_id: str, written: str
) -> None:
    llm.dialect = SELF_HOSTED
    llm.script = [Reply(content=written)]
    wanted = await turn(engine, with_model(settings, llm, tool_choice=""), action_id, "What does INV-1 cover?")
    [tool] = wanted.tool_calls
    assert (tool.name, tool.arguments) == ("invoice_details", {"invoice_number": "INV-1"})


async def test_a_plain_text_answer_is_checked_like_any_answer(
    engine: Engine, settings: Settings, llm: FakeOpenAI, action_id: str
) -> None:
    llm.script = [Reply(content="It is €5.00 now, if you pay today.")]
    with pytest.raises(ApplicationError, match=r"states what neither the facts nor the tools say: €5\.00"):
        await turn(engine, with_model(settings, llm, tool_choice=""), action_id, "How much do I owe today?")


async def test_a_server_that_refuses_says_what_to_fix(
    engine: Engine, settings: Settings, llm: FakeOpenAI, action_id: str
) -> None:
    llm.dialect = SELF_HOSTED
    handed = await turn(engine, with_model(settings, llm, tool_choice="required"), action_id, "What is this about?",
                        attempt=LLM_ATTEMPTS)  # fmt: skip
    assert handed.escalation is not None and handed.escalation.reason is EscalationReason.ai_unavailable
    assert "set OUTREACH_LLM_TOOL_CHOICE=auto" in handed.escalation.detail
