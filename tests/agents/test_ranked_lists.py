"""The team's weekly ranked lists: members at risk of cancelling and leads worth a call first, each ranked by what
they did and said with the reasons, those with too little to go on left out, one list a week; approving a list
opens one ticket for the team about each (an internal note, nothing to the customer), once."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agents.registry import TEAM_AGENTS
from agents.scan import scan_page, start_scan
from models.db import session_scope
from models.messages import ActionStatus, AgentType, Channel, Pattern, Priority, TourStatus
from models.tables import Contract, Customer, LeadInquiry, Plan, ProposedAction, Ticket, TicketComment, Tour
from safeguards.open_matters import open_matters
from tests.agents.test_scan import NOW, TODAY, add, visits
from tests.factories import LOCATION_ID, add_customer, add_invoice, add_location, policy


def listed(engine: Engine, agent: AgentType, threshold_days: int) -> list[Pattern]:
    chosen = policy(engine).model_copy(update={"agent_type": agent, "threshold_days": threshold_days})
    with Session(engine) as session:
        scan = start_scan(session, LOCATION_ID, chosen, NOW)
        assert scan is not None
        return scan_page(session, scan, None, 200, 0).patterns


def ranking(pattern: Pattern) -> list[tuple[str, int]]:
    return [(line.split("\t")[0], int(line.split("\t")[1])) for line in str(pattern.facts["ranked"]).splitlines()]


def member(engine: Engine, name: str, ends_in: int, **contract: bool) -> None:
    add_customer(engine, name)
    add(engine, Contract(id=name, location_id=LOCATION_ID, customer_id=name, plan_id="p",
                         starts_on=TODAY - timedelta(days=300), ends_on=TODAY + timedelta(days=ends_in),
                         **contract))  # fmt: skip


def test_members_at_risk_of_cancelling_are_ranked_by_what_points_to_it(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="p", location_id=LOCATION_ID, name="Dedicated Desk", monthly_price_cents=42_500))
    usual = list(range(30, 84, 4))  # 14 visits in the eight weeks before the last four
    member(engine, "stopped", 20)
    visits(engine, "stopped", usual)
    member(engine, "slowing-owes", 60)
    visits(engine, "slowing-owes", [3, 10, *usual])
    add_invoice(engine, "INV-9", "slowing-owes", due=TODAY - timedelta(days=12))
    member(engine, "said-so", 80)
    member(engine, "regular", 20)
    visits(engine, "regular", list(range(1, 84, 3)))
    member(engine, "gave-notice", 20, cancelled=True)  # past what the team can act on
    visits(engine, "gave-notice", usual)
    member(engine, "far-off", 200)  # beyond N days
    visits(engine, "far-off", usual)
    with session_scope(engine) as session:
        said = session.get(Customer, "said-so")
        assert said is not None
        said.leaving_said_at = NOW - timedelta(days=5)
    [weekly] = listed(engine, AgentType.cancellation_risk, 90)
    assert weekly.customer_id is None and weekly.dedup_key == "cancellation_risk:2026-W47"
    assert ranking(weekly) == [("said-so", 45), ("stopped", 45), ("slowing-owes", 40)]  # a tie: by id
    body = str(weekly.facts["body_html"])
    assert "not seen in four weeks, after 14 visits in the eight before; contract ends in 20 days" in body
    assert "came in 2 times in four weeks, against 7 usually; 1 invoice overdue" in body
    assert weekly.facts["title"] == "Members at risk of cancelling, week 47" and weekly.confidence == 45


def test_leads_worth_a_call_are_ranked_and_approving_opens_one_ticket_each_once(engine: Engine) -> None:
    add_location(engine)
    leads = {"toured-team": "Looking for a private office for a team of 6.", "toured": "A desk for me.",
             "booked-tour": "Do you have 4 desks?", "quiet": "Just curious.",
             "old": "An office for 10 people?"}  # fmt: skip
    for name, message in leads.items():
        add_customer(engine, name, name=name.capitalize(), kind="lead")
        days = 40 if name == "old" else 10
        add(engine, LeadInquiry(id=name, location_id=LOCATION_ID, customer_id=name, message=message,
                                inquired_at=NOW - timedelta(days=days)))  # fmt: skip
    for name, status in (("toured-team", TourStatus.attended), ("toured", TourStatus.attended),
                         ("booked-tour", TourStatus.scheduled)):  # fmt: skip
        add(engine, Tour(id=name, location_id=LOCATION_ID, customer_id=name, starts_at=NOW, status=status,
                         updated_at=NOW))  # fmt: skip
    [weekly] = listed(engine, AgentType.lead_scoring, 30)
    assert ranking(weekly) == [("toured-team", 70), ("booked-tour", 45), ("toured", 35)]
    assert "took a tour; asked for 6 people; asked about an office; inquired 10 days ago" in str(
        weekly.facts["body_html"]
    )
    assert weekly.priority is Priority.high  # its first scores 70

    # The operator left one out of the list before approving it.
    drafted = TEAM_AGENTS[AgentType.lead_scoring].draft(weekly).body_text
    approved = "\n".join(line for line in drafted.splitlines() if "Booked-tour" not in line)
    action = ProposedAction(id="outreach:leads", status=ActionStatus.approved, channel=Channel.team,
                            subject=str(weekly.facts["title"]), body_html="", body_text=approved, created_at=NOW,
                            expires_at=NOW, **weekly.model_dump(include={"location_id", "agent_type", "dedup_key",
                                                                         "reason", "facts", "confidence"}))  # fmt: skip
    add(engine, action)
    for _ in range(2):  # a retried activity opens none twice
        with session_scope(engine) as session:
            row = session.get(ProposedAction, "outreach:leads")
            assert row is not None
            created = TEAM_AGENTS[AgentType.lead_scoring].create(session, row)
    assert created.startswith("Opened 2 tickets for the team: T-")
    with Session(engine) as session:
        tickets = session.exec(select(Ticket).order_by(col(Ticket.subject))).all()
        assert [(t.subject, t.priority) for t in tickets] == [
            ("Lead to call: Toured", Priority.normal), ("Lead to call: Toured-team", Priority.high)]  # fmt: skip
        comments = session.exec(select(TicketComment)).all()
        assert len(comments) == 2 and not any(comment.public for comment in comments)  # nothing to the lead
        # While the team has a ticket open about them, no agent writes to them.
        assert set(open_matters(session, list(leads), NOW)) == {"toured-team", "toured"}
