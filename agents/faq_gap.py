"""FAQ gap: questions the AI could not answer, asked again and again, that the team answered by hand — each group
of questions alike in meaning a proposed FAQ article, drafted from the team's own answers on the escalations'
tickets. Approving it publishes the article: the AI answers that question from then on."""

from collections.abc import Sequence
from datetime import timedelta
from html import escape

from sqlmodel import Session, col, select

from agents.base import Scan, TeamAgent
from domain.content import html_to_text, sanitize_html
from models.messages import AgentType, EscalationReason, Pattern, Priority, Sender
from models.tables import FaqArticle, ProposedAction, Ticket, TicketComment, TimelineEntry

# A team's work, not a customer base: the questions of this many escalations, the latest, are read a run.
MAX_QUESTIONS = 500
# A question asked this often (by anyone) is a gap worth an article; asked this often, a pressing one.
ASKED = 2
ASKED_OFTEN = 5
TITLE_CHARS = 200


def _find(session: Session, scan: Scan) -> list[Pattern]:
    assert scan.by_meaning is not None, "a team agent's scan groups by meaning"
    tickets = session.exec(
        select(Ticket)
        .where(
            col(Ticket.location_id) == scan.location.id,
            col(Ticket.escalation_reason) == EscalationReason.outside_scope,
            col(Ticket.created_at) >= scan.as_of - timedelta(days=scan.policy.threshold_days),
            col(Ticket.created_at) <= scan.as_of,
        )
        .order_by(col(Ticket.created_at).desc(), col(Ticket.id))
        .limit(MAX_QUESTIONS)
    ).all()
    questions = _questions(session, tickets)
    answers = _answers(session, tickets)
    asked = [ticket for ticket in tickets if ticket.id in questions]
    published = session.exec(select(FaqArticle.question).where(col(FaqArticle.location_id) == scan.location.id))
    groups = scan.by_meaning([questions[ticket.id] for ticket in asked], list(published.all()))
    return [
        _pattern(scan, [asked[index] for index in group], questions, answers)
        for group in groups
        if len(group) >= ASKED and any(asked[index].id in answers for index in group)
    ]


def _questions(session: Session, tickets: Sequence[Ticket]) -> dict[str, str]:
    """What the customer last asked before each ticket was opened (their message the AI could not answer)."""
    by_conversation = {ticket.conversation_id: ticket for ticket in tickets if ticket.conversation_id}
    said = session.exec(
        select(TimelineEntry)
        .where(col(TimelineEntry.conversation_id).in_(by_conversation), col(TimelineEntry.sender) == Sender.customer)
        .order_by(col(TimelineEntry.at))
    ).all()
    questions: dict[str, str] = {}
    for entry in said:
        ticket = by_conversation[str(entry.conversation_id)]
        if entry.at <= ticket.created_at and entry.body.strip():
            questions[ticket.id] = entry.body.strip()  # the latest before the ticket wins
    return questions


def _answers(session: Session, tickets: Sequence[Ticket]) -> dict[str, str]:
    """The team's own first public answer on each ticket (not the AI's note to the customer that opened it)."""
    comments = session.exec(
        select(TicketComment)
        .where(
            col(TicketComment.ticket_id).in_([ticket.id for ticket in tickets]),
            col(TicketComment.public).is_(True),
            col(TicketComment.author) == Sender.operator,
            col(TicketComment.id).not_in([f"{ticket.id}:opened" for ticket in tickets]),
        )
        .order_by(col(TicketComment.created_at).desc())
    ).all()
    return {comment.ticket_id: comment.body_html for comment in comments}  # the earliest is written last


def _pattern(scan: Scan, group: list[Ticket], questions: dict[str, str], answers: dict[str, str]) -> Pattern:
    """The group's proposed article: its most central question, answered with the team's latest answer."""
    title = " ".join(questions[group[0].id].split())[:TITLE_CHARS]
    answered = max((ticket for ticket in group if ticket.id in answers), key=lambda ticket: ticket.created_at)
    first = min(group, key=lambda ticket: (ticket.created_at, ticket.id))
    asked = "\n".join(dict.fromkeys(" ".join(questions[ticket.id].split()) for ticket in group))
    return Pattern(
        location_id=scan.location.id,
        agent_type=AgentType.faq_gap,
        # The group's first question names it: a question of the same meaning asked later joins it, not a new one.
        dedup_key=f"{AgentType.faq_gap.value}:{first.id}",
        customer_id=None,
        customer_name="",
        reason=f"Asked {len(group)} times in the last {scan.policy.threshold_days} days and the AI could not "
        f"answer; the team answered it on ticket {answered.number}.",
        facts={
            "title": title,
            "body_html": sanitize_html(answers[answered.id]),
            "asked": len(group),
            "questions": asked,
            "tickets": ", ".join(ticket.number for ticket in group),
        },
        priority=Priority.high if len(group) >= ASKED_OFTEN else Priority.normal,
        # More customers asking is surer the article is worth it; the team's answer is the article either way.
        confidence=min(95, 50 + 10 * len(group)),
        confidence_reasons=[f"{len(group)} customers asked it", f"the team answered it on {answered.number}"],
    )


def _create(session: Session, action: ProposedAction) -> str:
    """Publish the article as approved (the operator's edits included); approving twice publishes it once."""
    article_id = f"faq-gap:{action.id}"
    answer = html_to_text(action.body_html)
    article = session.get(FaqArticle, article_id)
    if article is None:
        session.add(FaqArticle(id=article_id, location_id=action.location_id, question=action.subject, answer=answer))
    else:
        article.question, article.answer = action.subject, answer
    return f"Published the FAQ article “{escape(action.subject)}”: the AI answers it from now on."


AGENT = TeamAgent(
    type=AgentType.faq_gap,
    description="A question the AI could not answer, asked by several customers over the last N days and answered "
    "by the team: a proposed FAQ article drafted from the team's answer; approving it publishes it.",
    threshold_days=30,
    find=_find,
    create=_create,
)
