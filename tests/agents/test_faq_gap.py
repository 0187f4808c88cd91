"""The FAQ gap agent's detection: escalations the AI could not answer, grouped by meaning in any language, each group
asked often enough and answered by the team one proposal — never a question an article answers already, one only a
person could answer, or one nobody on the team answered yet — and each group proposed once however it grows."""

from datetime import datetime, timedelta

from sqlalchemy import Engine

from agents.registry import TEAM_AGENTS
from agents.scan import scan_page, start_scan
from conversation import understanding
from models.db import session_scope
from models.messages import ActionStatus, AgentType, Channel, EscalationReason, Priority, Sender, TicketStatus
from models.tables import FaqArticle, ProposedAction, Ticket, TicketComment, TimelineEntry
from providers.helpdesk import ticket_number
from tests.agents.test_scan import NOW
from tests.factories import LOCATION_ID, add_customer, add_location, policy


def escalated(engine: Engine, n: int, question: str, *, answer: str | None = None, days_ago: int = 1,
              reason: EscalationReason = EscalationReason.outside_scope) -> str:  # fmt: skip
    """Customer `n` asked `question` in the chat and the AI handed it over for `reason`; the team's `answer`."""
    customer_id, ticket_id = f"c{n}", f"t{n}"
    add_customer(engine, customer_id)
    asked = NOW - timedelta(days=days_ago)
    with session_scope(engine) as session:
        session.add(TimelineEntry(id=f"e{n}", conversation_id=f"chat:{customer_id}", sender=Sender.customer,
                                  channel=Channel.chat, body=question, at=asked))  # fmt: skip
        session.add(Ticket(id=ticket_id, number=ticket_number(ticket_id), location_id=LOCATION_ID,
                           requester_id=customer_id, subject="Members' chat", status=TicketStatus.open,
                           priority=Priority.normal, conversation_id=f"chat:{customer_id}", escalation_reason=reason,
                           created_at=asked + timedelta(seconds=1), updated_at=asked))  # fmt: skip
        session.flush()
        # The AI's own note to the customer is no answer of the team's.
        session.add(TicketComment(id=f"{ticket_id}:opened", ticket_id=ticket_id, author=Sender.operator,
                                  author_name="The AI assistant", body_html="<p>The team will answer.</p>",
                                  public=True, created_at=asked))  # fmt: skip
        if answer:
            session.add(TicketComment(id=f"{ticket_id}-answer", ticket_id=ticket_id, author=Sender.operator,
                                      author_name="Sam", body_html=f"<p>{answer}</p>", public=True,
                                      created_at=asked + timedelta(hours=1)))  # fmt: skip
    return ticket_number(ticket_id)


def found(engine: Engine, as_of: datetime = NOW) -> list:
    chosen = policy(engine).model_copy(update={"agent_type": AgentType.faq_gap, "threshold_days": 30})
    with session_scope(engine) as session:
        scan = start_scan(session, LOCATION_ID, chosen, as_of, understanding.groups)
        assert scan is not None
        return scan_page(session, scan, None, 200, 0).patterns


def test_questions_alike_in_any_language_that_the_team_answered_make_one_proposed_article(engine: Engine) -> None:
    add_location(engine)
    escalated(engine, 1, "Where can I store my bike?")
    answered = escalated(engine, 2, "Waar kan ik mijn fiets stallen?", answer="In the basement rack.")
    escalated(engine, 3, "Is there a place to store bikes?", days_ago=3)
    escalated(engine, 4, "Do you have a printer?", answer="Next to the kitchen.")  # asked once: no gap yet
    escalated(engine, 5, "Can I rent a locker?")  # asked twice, answered never: nothing to draft from
    escalated(engine, 6, "Is a locker available to rent?")
    escalated(engine, 7, "Where can I park my bike?", answer="x", reason=EscalationReason.needs_judgement)
    escalated(engine, 8, "Is there bike storage?", answer="y", days_ago=40)  # before the N days
    [pattern] = found(engine)
    assert pattern.customer_id is None and pattern.agent_type is AgentType.faq_gap
    assert pattern.dedup_key == "faq_gap:t3"  # the group's first question names it
    assert pattern.facts["body_html"] == "<p>In the basement rack.</p>" and pattern.facts["asked"] == 3
    assert pattern.facts["title"] in pattern.facts["questions"] and answered in pattern.reason
    draft = TEAM_AGENTS[AgentType.faq_gap].draft(pattern)
    assert (draft.channel, draft.body_text.strip()) == (Channel.team, "In the basement rack.")


def test_a_question_an_article_answers_or_a_group_proposed_before_is_not_proposed_again(engine: Engine) -> None:
    add_location(engine)
    escalated(engine, 1, "Can I bring my dog?", answer="Dogs are welcome on Fridays.")
    escalated(engine, 2, "Are dogs allowed in the space?")
    escalated(engine, 3, "Where can I store my bike?", answer="In the basement rack.")
    escalated(engine, 4, "Is there a place to store bikes?")
    with session_scope(engine) as session:
        session.add(FaqArticle(id="pets", location_id=LOCATION_ID, question="May I bring my dog to work?",
                               answer="On Fridays."))  # fmt: skip
    [pattern] = found(engine)
    assert pattern.dedup_key == "faq_gap:t3"
    with session_scope(engine) as session:
        session.add(ProposedAction(id="outreach:bikes", status=ActionStatus.rejected, channel=Channel.team, subject="x",
                                   body_html="", body_text="", confidence=60, created_at=NOW, expires_at=NOW,
                                   **pattern.model_dump(include={"location_id", "agent_type", "dedup_key",
                                                                 "reason", "facts"})))  # fmt: skip
    escalated(engine, 5, "Where can I park my bike?")  # the group grows: still the one proposed
    assert found(engine) == []
