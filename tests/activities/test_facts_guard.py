"""The facts guard: what the draft states must be what the situation says."""

import pytest
from pydantic import ValidationError

from activities.offline import compose
from activities.prompts import ComposedDraft
from agents.base import ComposeContext
from domain.facts import invented_facts
from models.messages import AgentType, Channel

FACTS: dict[str, str | int] = {
    "invoice_number": "AMS-1042",
    "invoice_amount": "€1,250.00",
    "due_date": "2026-11-02",
    "payment_link": "https://portal.example/pay/AMS-1042",
    "days_overdue": 19,
}


def test_stated_facts_pass() -> None:
    text = (
        "Invoice AMS-1042 for €1,250.00 was due on November 2, 2026 (2 Nov). "
        '<a href="https://portal.example/pay/AMS-1042">Pay</a>'
    )
    assert invented_facts(text, FACTS) == []


@pytest.mark.parametrize(
    "text",
    [
        "Invoice AMS-1042 for €1,350.00",
        "Invoice AMS-1043 is overdue",
        "It was due on November 3, 2026",
        "due 2026-11-12",
        "pay at https://evil.example/pay",
        "a late fee of 25 EUR applies",
        "due 2026-13-01",  # no date at all: invented, not a crash
        "due on February 30, 2026",
    ],
)
def test_invented_facts_are_caught(text: str) -> None:
    assert invented_facts(text, FACTS)


def test_every_offline_draft_passes_the_guard() -> None:
    context = ComposeContext("Canal House", "warm", "The team", "Ada Lovelace", 0, FACTS)
    draft = compose(AgentType.due_invoice, context, Channel.ai_email)
    for text in (draft.subject, draft.body_html, draft.voice_script):
        assert invented_facts(text, FACTS) == []


def test_call_scripts_read_no_links_and_stay_short() -> None:
    base = {"subject": "Reminder", "body_html": "<p>Hi Ada, please pay.</p>", "reason": ""}
    with pytest.raises(ValidationError, match="links go by SMS"):
        ComposedDraft(**base, voice_script="Pay at https://portal.example/pay now please")
    with pytest.raises(ValidationError, match="under 65 words"):
        ComposedDraft(**base, voice_script="word " * 80)
