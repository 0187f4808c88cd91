"""One AI turn, as the conversation workflow asks for it: what the engine decides whatever the AI would say (an
opt-out, a customer who must reach a person), the priority of an escalation, the FAQ for questions no intent
knows, and silence after a mere thank-you. Without a model, on both databases."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import ActivityEnvironment

from activities.db import DbActivities
from activities.turns import ConversationActivities
from models.db import session_scope
from models.messages import (
    Channel,
    CustomerMessage,
    EscalationReason,
    LeavingSaid,
    PaymentReported,
    Priority,
    Sender,
    TimelineEvent,
    ToolRequest,
    ToolResult,
    ToolStep,
    Turn,
    TurnOutcome,
    TurnRequest,
)
from models.tables import Customer, FaqArticle, Invoice, TimelineEntry
from models.timeline import add_timeline_entry
from tests.factories import LOCATION_ID, proposal

CONVERSATION = "conversation:turns"
LARGE = 100_000  # the invoice of the factories' proposal is €1,234.56: a large amount at this threshold


@pytest.fixture
def action_id(engine: Engine) -> str:
    change = proposal(engine)
    DbActivities(engine).record_proposal(change)
    return change.record.action_id


def turn(engine: Engine, action_id: str, text: str, steps: list[ToolStep] | None = None,
         critical: int = LARGE) -> Turn:  # fmt: skip
    message = CustomerMessage(id=f"m-{abs(hash(text))}", channel=Channel.ai_email, body=text,
                              received_at=datetime.now(UTC))  # fmt: skip
    request = TurnRequest(conversation_id=CONVERSATION, action_id=action_id, message=message, steps=steps or [])
    return asyncio.run(ActivityEnvironment().run(ConversationActivities(engine, None, critical, 0).converse, request))


def said_before(engine: Engine, action_id: str, *texts: str) -> None:
    with session_scope(engine) as session:
        for n, text in enumerate(texts):
            entry = TimelineEvent(
                id=f"before-{n}",
                action_id=action_id,
                conversation_id=CONVERSATION,
                sender=Sender.customer,
                channel=Channel.ai_email,
                body=text,
                at=datetime.now(UTC),
            )
            add_timeline_entry(session, entry)


def step(name: str, ok: bool = True, **content: object) -> ToolStep:
    result = ToolResult(name=name, ok=ok, content=content, error=None if ok else "It failed.")
    return ToolStep(request=ToolRequest(call_id=name, name=name), result=result)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("STOP", "Of course, Ada: you won't hear from Test Space loc-test again, and sorry for the bother."),
        ("Please unsubscribe me.", "Of course, Ada: you won't hear from Test Space loc-test again, and sorry for the "
         "bother."),
        ("Bitte keine E-Mails mehr.", "Selbstverständlich, Ada: Sie hören nichts mehr von Test Space loc-test, und "
         "entschuldigen Sie die Störung."),
        ("Dejen de enviarme correos, gracias", "Por supuesto, Ada: no volverá a recibir mensajes de Test Space "
         "loc-test, y disculpe las molestias."),
        ("Veuillez me désinscrire", "Bien sûr, Ada : vous n'aurez plus de nouvelles de Test Space loc-test, et "
         "désolés pour le dérangement."),
    ],
)  # fmt: skip
def test_an_opt_out_in_any_words_uses_the_tool_then_says_one_polite_sentence_in_theirs(
    engine: Engine, action_id: str, text: str, said: str
) -> None:
    first = turn(engine, action_id, text)
    assert [call.name for call in first.tool_calls] == ["opt_out"] and not first.reply_html
    done = turn(engine, action_id, text, [step("opt_out", opted_out=True, cancelled_proposals=[])])
    assert done.outcome is TurnOutcome.resolve and not done.tool_calls
    assert done.reply_html == f"<p>{said}</p>"


def test_an_opt_out_is_no_complaint_unless_it_also_is_one(engine: Engine, action_id: str) -> None:
    annoyed = turn(engine, action_id, "Stop emailing me, this is annoying!!", [step("opt_out")])
    assert annoyed.outcome is TurnOutcome.resolve and annoyed.escalation is None
    complaint = turn(engine, action_id, "Unsubscribe me. And your receptionist was rude to me.", [step("opt_out")])
    assert complaint.outcome is TurnOutcome.escalate and "you won't hear from" in complaint.reply_html
    assert complaint.escalation is not None and complaint.escalation.reason is EscalationReason.complaint
    erase = turn(engine, action_id, "Unsubscribe me. And delete all the data you hold on me.", [step("opt_out")])
    assert erase.outcome is TurnOutcome.escalate and erase.escalation is not None
    assert (erase.escalation.reason, erase.escalation.priority) == (EscalationReason.personal_data, Priority.high)


@pytest.mark.parametrize(
    ("text", "reason", "priority", "critical"),
    [
        ("Can I talk to a real person about this?", EscalationReason.asked_for_person, Priority.normal, LARGE),
        ("I want to speak to a manager, this is ridiculous", EscalationReason.asked_for_person, Priority.high, LARGE),
        ("I was charged twice for this invoice!", EscalationReason.dispute, Priority.critical, LARGE),
        ("I was charged twice for this invoice!", EscalationReason.dispute, Priority.high, 200_000),
        ("WHY DO YOU KEEP SENDING ME THIS", EscalationReason.frustrated, Priority.high, LARGE),
        ("I need a payment plan for this one", EscalationReason.needs_judgement, Priority.normal, LARGE),
    ],
)
def test_escalations_say_why_with_the_priority_that_follows(
    engine: Engine, action_id: str, text: str, reason: EscalationReason, priority: Priority, critical: int
) -> None:
    answer = turn(engine, action_id, text, critical=critical)
    assert answer.outcome is TurnOutcome.escalate and not answer.tool_calls
    assert answer.escalation is not None and (answer.escalation.reason, answer.escalation.priority) == (
        reason,
        priority,
    )
    assert "passed" in answer.reply_html and "follow up by email" in answer.reply_html
    if priority is not Priority.normal:
        assert "I'm sorry about this, Ada." in answer.reply_html


def test_the_same_question_twice_goes_to_the_team(engine: Engine, action_id: str) -> None:
    said_before(engine, action_id, "Why is the amount different from last month?")
    again = turn(engine, action_id, "Why is the amount different from last month??")
    assert again.escalation is not None and again.escalation.reason is EscalationReason.asked_twice


def test_tools_that_keep_failing_hand_the_turn_to_the_team(engine: Engine, action_id: str) -> None:
    failing = [step("invoice_details", ok=False), step("portal_link", ok=False)]
    answer = turn(engine, action_id, "Can you remind me what this covers?", failing)
    assert answer.escalation is not None and answer.escalation.reason is EscalationReason.tools_failed


def test_a_booking_over_the_ais_cap_hands_the_turn_to_the_team(engine: Engine, action_id: str) -> None:
    capped = step("buy_day_pass", ok=False)
    capped.result = capped.result.model_copy(update={"limit_reached": True, "error": "At most 3 in a conversation."})
    answer = turn(engine, action_id, "And one more day pass for Friday, please.", [capped])
    assert answer.outcome is TurnOutcome.escalate and answer.escalation is not None
    assert (answer.escalation.reason, answer.escalation.detail) == (
        EscalationReason.booking_limit,
        "At most 3 in a conversation.",
    )
    assert answer.reply_html.startswith("<p>I can't make more bookings for you myself, Ada, so I've passed your")


def test_a_question_no_intent_knows_is_answered_from_the_faq_or_goes_to_the_team(
    engine: Engine, action_id: str
) -> None:
    article = {"question": "Can I bring guests?",
               "answer": "Yes. Register guests in the portal so reception can welcome them."}  # fmt: skip
    with session_scope(engine) as session:
        session.add(FaqArticle(id="faq-guests", location_id=LOCATION_ID, **article))
    asked = turn(engine, action_id, "By the way, can I bring guests to the space?")
    assert [(call.name, call.arguments) for call in asked.tool_calls] == [
        ("search_faq", {"query": "By the way, can I bring guests to the space?"})]  # fmt: skip
    found = step("search_faq", results=[article])
    answered = turn(engine, action_id, "By the way, can I bring guests to the space?", [found])
    assert answered.outcome is TurnOutcome.reply and "Register guests in the portal" in answered.reply_html
    # Sharing a word is not an answer: "bring my dog" is not "bring guests".
    dog = turn(engine, action_id, "Can I bring my dog?", [found])
    assert dog.escalation is not None and dog.escalation.reason is EscalationReason.outside_scope
    assert "That's one I can't answer myself, Ada" in dog.reply_html


def test_a_thank_you_for_an_answer_gets_none_back(engine: Engine, action_id: str) -> None:
    first = turn(engine, action_id, "Thanks, will do!")
    assert first.outcome is TurnOutcome.resolve and "You're welcome, Ada!" in first.reply_html
    said_before(engine, action_id, "Thanks, will do!")
    again = turn(engine, action_id, "Thanks again!")
    assert again.outcome is TurnOutcome.resolve and again.reply_html == ""


def test_a_customer_who_says_they_paid_is_noted_once_and_the_reminders_wait_for_the_payment(
    engine: Engine, action_id: str
) -> None:
    answered = turn(engine, action_id, "I paid it yesterday by bank transfer, it should be with you soon.")
    assert answered.payment_reported and answered.outcome is not TurnOutcome.escalate
    disputed = turn(engine, action_id, "I paid this already and you charged me twice. This invoice is wrong!")
    assert disputed.outcome is TurnOutcome.escalate and not disputed.payment_reported  # the team's to look into
    assert not turn(engine, action_id, "Can you remind me what this covers?").payment_reported

    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    report = PaymentReported(action_id=action_id, conversation_id=CONVERSATION, at=at)
    DbActivities(engine).record_payment_reported(report)
    DbActivities(engine).record_payment_reported(report)  # a retried activity
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(col(Invoice.number) == "INV-1")).one()
        assert (invoice.payment_reported_at, invoice.paid_at) == (at, None)  # never paid on their word
        notes = session.exec(select(TimelineEntry).where(col(TimelineEntry.id).startswith("payment-reported:"))).all()
        assert [note.body for note in notes] == [
            "The customer says they paid invoice INV-1. It is marked paid when the payment arrives; its reminders "
            "wait until 2026-12-06 10:00 (Europe/Amsterdam)."
        ]


def test_a_customer_who_says_they_are_leaving_is_noted_once_for_the_team(engine: Engine, action_id: str) -> None:
    for words in ("We won't be renewing, we found a cheaper place nearby.",
                  "Wij gaan niet verlengen, we verhuizen naar Utrecht."):  # fmt: skip
        assert turn(engine, action_id, words).leaving_said, words
    assert not turn(engine, action_id, "Can I renew for another year?").leaving_said
    assert not turn(engine, action_id, "I paid it yesterday by bank transfer.").leaving_said

    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    said = LeavingSaid(customer_id="cust-1", action_id=action_id, conversation_id=CONVERSATION, at=at)
    DbActivities(engine).record_leaving_said(said)
    DbActivities(engine).record_leaving_said(said)  # a retried activity
    with Session(engine) as session:
        customer = session.get(Customer, "cust-1")
        assert customer is not None and customer.leaving_said_at == at
        notes = session.exec(select(TimelineEntry).where(col(TimelineEntry.id).startswith("leaving-said:"))).all()
        assert [note.body for note in notes] == [
            "The customer says they are leaving (not renewing, or going elsewhere): the team confirms it with them. "
            "Until 2027-01-30 10:00 (Europe/Amsterdam) no agent reminds them to renew, nudges them back, offers them "
            "more or follows them up as a lead."
        ]
