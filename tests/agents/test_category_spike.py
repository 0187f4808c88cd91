"""The support category spike: a help-desk category with many more tickets in the last seven days than in its usual
week is proposed to the team with its tickets; a category at its usual level, a quiet week's few tickets or tickets
with no category are not; one proposal a category a week; approving opens one ticket for the team, once."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agents.registry import TEAM_AGENTS
from models.db import session_scope
from models.messages import ActionStatus, AgentType, Channel, Pattern, Priority, TicketStatus
from models.tables import ProposedAction, Ticket, TicketComment
from tests.agents.test_ranked_lists import listed
from tests.agents.test_scan import NOW, add
from tests.factories import LOCATION_ID, add_customer, add_location

SPIKE = AgentType.category_spike


def tickets(engine: Engine, category: str | None, *days_ago: float) -> None:
    for n, days in enumerate(days_ago):
        opened = NOW - timedelta(days=days)
        add(engine, Ticket(id=f"{category}-{n}", number=f"T-{category}-{n}".upper(), location_id=LOCATION_ID,
                           requester_id="ava", subject=f"{category} trouble {n}", category=category,
                           status=TicketStatus.solved, priority=Priority.normal, created_at=opened,
                           updated_at=opened))  # fmt: skip


def test_a_category_far_above_its_usual_week_is_proposed_with_its_tickets(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "ava", name="Ava Tanaka")
    tickets(engine, "wi-fi", 0.5, 2, 3, 6.5, 20, 45)  # 4 this week; 2 in the eight weeks before: 0.25 a week
    tickets(engine, "cleaning", 1, 2, 4, *range(8, 56, 2))  # 3 this week, as in a usual week
    tickets(engine, "access", 1, 2)  # 2 in a quiet week is chance
    tickets(engine, None, 0.1, 0.2, 0.3, 0.4, 0.5)  # no category to compare
    tickets(engine, "printer", 7.5, 8, 9, 10)  # last week's run is over
    [spike] = listed(engine, SPIKE, 56)
    assert spike.customer_id is None and spike.dedup_key == "category_spike:wi-fi:2026-W47"
    assert spike.facts["title"] == "4 “wi-fi” tickets this week (usually 0.2)"
    assert spike.reason == "4 “wi-fi” tickets in the last 7 days, against 0.2 in a usual week of the 56 days before."
    assert spike.facts["tickets"] == "T-WI-FI-3, T-WI-FI-2, T-WI-FI-1, T-WI-FI-0"  # in the order they came
    assert "(2026-11-18, Ava Tanaka): wi-fi trouble 0" in str(spike.facts["body_html"])
    assert spike.priority is Priority.high and spike.confidence == 95  # sixteen times its usual week

    # A category never seen before: a spike as soon as it is more than chance.
    tickets(engine, "parking", 1, 2, 3)
    found = {str(pattern.facts["category"]): pattern for pattern in listed(engine, SPIKE, 56)}
    assert set(found) == {"wi-fi", "parking"}
    assert found["parking"].facts["title"] == "3 “parking” tickets this week (usually 0)"


def test_a_spike_is_proposed_once_a_week_and_approving_it_opens_one_ticket_for_the_team(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "ava", name="Ava Tanaka")
    tickets(engine, "wi-fi", 1, 2, 3, 4, 5, 6, 30, 40)  # 6 against 0.25 a week: pressing
    [spike] = listed(engine, SPIKE, 56)
    proposal(engine, spike)
    assert listed(engine, SPIKE, 56) == []  # proposed this week already

    for _ in range(2):  # a retried activity opens it once
        with session_scope(engine) as session:
            row = session.get(ProposedAction, "outreach:spike")
            assert row is not None
            created = TEAM_AGENTS[SPIKE].create(session, row)
    with Session(engine) as session:
        [opened] = session.exec(select(Ticket).where(col(Ticket.requester_id).is_(None))).all()
        assert created == f"Opened ticket {opened.number} for the team to find the common cause."
        assert (opened.subject, opened.category, opened.priority) == (spike.facts["title"], "wi-fi", Priority.high)
        [note] = session.exec(select(TicketComment).where(col(TicketComment.ticket_id) == opened.id)).all()
        assert not note.public and "wi-fi trouble 5" in note.body_html


def proposal(engine: Engine, pattern: Pattern) -> None:
    draft = TEAM_AGENTS[pattern.agent_type].draft(pattern)
    add(engine, ProposedAction(id="outreach:spike", status=ActionStatus.approved, channel=Channel.team,
                               subject=draft.subject, body_html=draft.body_html, body_text=draft.body_text,
                               created_at=NOW, expires_at=NOW, priority=pattern.priority,
                               **pattern.model_dump(include={"location_id", "agent_type", "dedup_key", "reason",
                                                             "facts", "confidence"})))  # fmt: skip
