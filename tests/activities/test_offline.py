"""The offline composer and conversation engine: exact facts, the customer's name, tone by history,
and no way for data to inject markup."""

import pytest

from activities.offline import ComposeContext, TurnContext, answer, compose, detect_intent
from models.messages import AgentType, Channel, TurnOutcome

FACTS: dict[str, str | int] = {
    "invoice_id": "ams-inv-1",
    "invoice_number": "AMS-1042",
    "invoice_amount": "€1,250.00",
    "amount_cents": 125_000,
    "currency": "EUR",
    "due_date": "2026-11-02",
    "days_overdue": 19,
    "payment_link": "https://portal.example/pay/AMS-1042",
}


def context(**overrides: object) -> ComposeContext:
    values: dict[str, object] = {
        "location_name": "Canal House",
        "persona_tone": "warm",
        "signature": "The Canal House team",
        "customer_name": "Emma de Jong",
        "earlier_late_payments": 0,
        "facts": FACTS,
    } | overrides
    return ComposeContext(**values)  # type: ignore[arg-type]


def test_draft_names_the_customer_and_states_the_exact_facts() -> None:
    draft = compose(AgentType.due_invoice, context(), Channel.ai_email)
    assert "Hi Emma," in draft.body_html
    assert "€1,250.00" in draft.body_html
    assert "AMS-1042" in draft.subject
    assert 'href="https://portal.example/pay/AMS-1042"' in draft.body_html
    assert "November 2, 2026" in draft.body_html
    assert "{{" not in draft.body_html
    assert draft.body_text.startswith("Hi Emma,")


def test_tone_differs_for_a_habitual_late_payer() -> None:
    first_time = compose(AgentType.due_invoice, context(earlier_late_payments=0), Channel.ai_email)
    habitual = compose(AgentType.due_invoice, context(earlier_late_payments=3), Channel.ai_email)
    assert "slipped through the cracks" in first_time.body_html
    assert "slipped through the cracks" not in habitual.body_html
    assert habitual.subject.startswith("Action needed")
    assert "€1,250.00" in habitual.body_html


def test_professional_persona_uses_the_full_name() -> None:
    draft = compose(AgentType.due_invoice, context(persona_tone="professional"), Channel.ai_email)
    assert draft.body_html.startswith("<p>Dear Emma de Jong,</p>")


def test_a_location_in_another_language_is_told_the_draft_is_english() -> None:
    assert compose(AgentType.due_invoice, context(language="en-GB"), Channel.ai_email).risk_notes == []
    [note] = compose(AgentType.due_invoice, context(language="nl"), Channel.ai_email).risk_notes
    assert note.startswith("Written in English although the location's language is 'nl'")


def test_customer_data_cannot_inject_markup() -> None:
    draft = compose(AgentType.due_invoice, context(customer_name="<script>x</script> Evil"), Channel.ai_email)
    assert "<script>" not in draft.body_html
    assert "&lt;script&gt;" in draft.body_html


@pytest.mark.parametrize(
    ("message", "outcome", "intent"),
    [
        ("Can I speak to a person please?", TurnOutcome.escalate, "human"),
        ("I need a payment plan", TurnOutcome.escalate, "arrangement"),
        ("I already paid last week", TurnOutcome.resolve, "paid"),
        ("Can you resend the link?", TurnOutcome.reply, "link"),
        ("Thanks!", TurnOutcome.resolve, "thanks"),
        ("What is this about?", TurnOutcome.reply, "other"),
    ],
)
def test_intents(message: str, outcome: TurnOutcome, intent: str) -> None:
    assert detect_intent(message) == (outcome, intent)


def test_link_request_gets_the_payment_link() -> None:
    turn = answer(
        TurnContext("Emma de Jong", "The team", "Canal House", AgentType.due_invoice, FACTS),
        "could you send the link again?",
    )
    assert turn.outcome is TurnOutcome.reply
    assert 'href="https://portal.example/pay/AMS-1042"' in turn.reply_html
    assert "Emma" in turn.reply_html
