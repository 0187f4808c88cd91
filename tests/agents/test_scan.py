"""Detection correctness on SQLite and PostgreSQL: each detector finds exactly its situations, and
each safeguard holds back exactly what it should (every test here fails without its safeguard).
Time is an input (`as_of`), so days and local midnights are crossed without waiting."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from agents.preview import preview
from agents.scan import scan_page, start_scan
from models.db import session_scope
from models.messages import (
    ActionStatus,
    AgentPreview,
    AgentType,
    Channel,
    DeliveryStatus,
    Pattern,
    PatternPage,
    Priority,
)
from models.tables import (
    AgentConfig,
    Booking,
    Contract,
    Customer,
    Delivery,
    LeadInquiry,
    Location,
    Plan,
    ProposedAction,
    Resource,
)
from tests.factories import (
    LOCATION_ID,
    add_customer,
    add_invoice,
    add_location,
    add_open_matter,
    close_matter,
    policy,
    solve_ticket_of,
)

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday
TODAY = date(2026, 11, 18)


def detect(
    engine: Engine,
    agent: AgentType = AgentType.due_invoice,
    *,
    as_of: datetime = NOW,
    limit: int = 200,
    **overrides: Any,
) -> PatternPage:
    """Run detection to the end, page by page, as the workflow does."""
    chosen = policy(engine, **overrides).model_copy(update={"agent_type": agent})
    patterns: list[Pattern] = []
    skipped = None
    cursor: str | None = None
    with Session(engine) as session:
        scan = start_scan(session, LOCATION_ID, chosen, as_of)
        assert scan is not None
        while True:
            page = scan_page(session, scan, cursor, limit, len(patterns))
            patterns += page.patterns
            skipped = page.skipped if skipped is None else skipped + page.skipped
            cursor = page.next_cursor
            if cursor is None:
                break
    assert skipped is not None
    return PatternPage(patterns=patterns, next_cursor=None, skipped=skipped)


def keys(page: PatternPage) -> list[str]:
    return sorted(pattern.dedup_key for pattern in page.patterns)


def add(engine: Engine, *rows: Any) -> None:
    with session_scope(engine) as session:
        for row in rows:
            session.add(row)
            session.flush()


def deliver(engine: Engine, customer_id: str, agent: AgentType, at: datetime, n: int = 1) -> None:
    """A proposal of `agent` to the customer, claimed for delivery and delivered at `at`."""
    action_id = f"outreach:{LOCATION_ID}:{agent.value}:past-{customer_id}-{n}"
    add(
        engine,
        ProposedAction(
            id=action_id, location_id=LOCATION_ID, agent_type=agent, dedup_key=f"{agent.value}:past-{customer_id}-{n}",
            customer_id=customer_id, status=ActionStatus.sent, channel=Channel.ai_email, subject="s",
            body_html="b", body_text="b", reason="r", confidence=90, created_at=at, expires_at=at,
            delivery_claimed_at=at,
        ),
        Delivery(
            id=f"d-{customer_id}-{n}", proposed_action_id=action_id, location_id=LOCATION_ID, customer_id=customer_id,
            agent_type=agent, channel=Channel.ai_email, provider="sandbox", status=DeliveryStatus.sent,
            to_address="a@b.c", from_address="x", subject="s", body_html="b", message_id=f"<{n}@x>", created_at=at,
        ),
    )  # fmt: skip


def test_due_invoice_threshold_is_inclusive_and_paid_invoices_never_count(engine: Engine) -> None:
    add_location(engine)
    for n, days in enumerate([4, 5, 30], start=1):
        add_customer(engine, f"c{n}")
        add_invoice(engine, f"INV-{n}", f"c{n}", due=TODAY - timedelta(days=days))
    add_customer(engine, "c4")
    add_invoice(engine, "INV-4", "c4", due=TODAY - timedelta(days=40), paid=True)
    page = detect(engine)
    assert keys(page) == ["due_invoice:INV-2", "due_invoice:INV-3"]
    by_key = {p.dedup_key: p for p in page.patterns}
    assert by_key["due_invoice:INV-3"].priority is Priority.high
    assert by_key["due_invoice:INV-3"].facts["invoice_amount"] == "€1,234.56"


def test_contract_renewal_finds_contracts_ending_soon_that_nobody_acted_on(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="p", location_id=LOCATION_ID, name="Dedicated Desk", monthly_price_cents=42_500))
    cases = {"ends-10": (10, False, False), "ends-40": (40, False, False), "renewed": (5, True, False),
             "cancelled": (5, False, True), "ended": (-1, False, False), "ends-30": (30, False, False)}  # fmt: skip
    for name, (days, renewed, cancelled) in cases.items():
        add_customer(engine, name)
        add(engine, Contract(id=name, location_id=LOCATION_ID, customer_id=name, plan_id="p",
                             starts_on=TODAY - timedelta(days=300), ends_on=TODAY + timedelta(days=days),
                             renewed=renewed, cancelled=cancelled))  # fmt: skip
    page = detect(engine, AgentType.contract_renewal, threshold_days=30)
    assert keys(page) == ["contract_renewal:ends-10", "contract_renewal:ends-30"]
    assert "Dedicated Desk" in page.patterns[0].reason


def test_lead_follow_up_skips_leads_that_were_answered_converted_or_booked(engine: Engine) -> None:
    add_location(engine)
    add(engine, Resource(id="desk", location_id=LOCATION_ID, name="Desk", kind="desk"))
    cases = {"stale": (10, None, False, False), "fresh": (3, None, False, False),
             "answered": (10, NOW - timedelta(days=8), False, False), "converted": (10, None, True, False),
             "booked": (10, None, False, True)}  # fmt: skip
    for name, (days, followed_up, converted, booked) in cases.items():
        add_customer(engine, name)
        add(engine, LeadInquiry(id=name, location_id=LOCATION_ID, customer_id=name, message="Desk for two?",
                                inquired_at=NOW - timedelta(days=days), followed_up_at=followed_up,
                                converted=converted))  # fmt: skip
        if booked:
            add(engine, Booking(id=f"b-{name}", customer_id=name, resource_id="desk", starts_at=NOW, ends_at=NOW))
    assert keys(detect(engine, AgentType.lead_follow_up, threshold_days=7)) == ["lead_follow_up:stale"]


def test_first_booking_finds_members_who_joined_long_enough_ago_and_never_booked(engine: Engine) -> None:
    add_location(engine)
    add(engine, Resource(id="desk", location_id=LOCATION_ID, name="Desk", kind="desk"))
    for name, joined_days_ago, kind, booked in [("new", 3, "member", False), ("idle", 9, "member", False),
                                                ("busy", 9, "member", True), ("lead", 9, "lead", False)]:  # fmt: skip
        add(engine, Customer(id=name, location_id=LOCATION_ID, name=f"{name} Person", email=f"{name}@x.example",
                             kind=kind, joined_on=TODAY - timedelta(days=joined_days_ago)))  # fmt: skip
        if booked:
            add(engine, Booking(id=f"b-{name}", customer_id=name, resource_id="desk", starts_at=NOW, ends_at=NOW))
    page = detect(engine, AgentType.first_booking, threshold_days=7)
    assert keys(page) == ["first_booking:idle"]
    assert page.patterns[0].priority is Priority.low


def test_opted_out_customers_are_never_proposed_and_are_counted(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "in")
    add_customer(engine, "out", opted_out=True)
    add_invoice(engine, "INV-1", "in", due=TODAY - timedelta(days=10))
    add_invoice(engine, "INV-2", "out", due=TODAY - timedelta(days=10))
    page = detect(engine)
    assert [p.customer_id for p in page.patterns] == ["in"]
    assert preview_of(engine).skipped.opted_out == 1


def preview_of(engine: Engine, agent: AgentType = AgentType.due_invoice, as_of: datetime = NOW) -> AgentPreview:
    with Session(engine) as session:
        location = session.get(Location, LOCATION_ID)
        config = session.exec(
            select(AgentConfig).where(AgentConfig.location_id == LOCATION_ID, AgentConfig.agent_type == agent)
        ).one()
        assert location is not None
        return preview(session, location, config, as_of)


def test_a_situation_proposed_once_is_never_proposed_again_even_without_its_workflow(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=10))
    [pattern] = detect(engine).patterns
    add(engine, ProposedAction(id="outreach:gone", location_id=LOCATION_ID, agent_type=AgentType.due_invoice,
                               dedup_key=pattern.dedup_key, customer_id="c1", status=ActionStatus.expired,
                               channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                               confidence=1, created_at=NOW - timedelta(days=60),
                               expires_at=NOW - timedelta(days=57)))  # fmt: skip
    assert detect(engine).patterns == []
    assert preview_of(engine).skipped.dedup == 1


def test_cooldown_per_agent_holds_until_it_has_passed(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=10))
    deliver(engine, "c1", AgentType.due_invoice, NOW - timedelta(days=13, hours=23))
    held = detect(engine, cooldown=timedelta(days=14))
    assert (held.patterns, held.skipped.cooldown) == ([], 1)
    # A day later the 14-day cooldown has passed.
    assert keys(detect(engine, as_of=NOW + timedelta(days=1), cooldown=timedelta(days=14))) == ["due_invoice:INV-1"]


def test_the_minimum_gap_holds_across_agents(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=10))
    deliver(engine, "c1", AgentType.first_booking, NOW - timedelta(hours=47))
    assert detect(engine, min_gap=timedelta(hours=48)).skipped.cooldown == 1
    assert len(detect(engine, as_of=NOW + timedelta(hours=2), min_gap=timedelta(hours=48)).patterns) == 1


def test_a_customer_whose_contact_budget_is_spent_hears_from_no_other_agent_until_the_window_has_room(
    engine: Engine,
) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=10))
    deliver(engine, "c1", AgentType.first_booking, NOW - timedelta(days=6), n=1)
    deliver(engine, "c1", AgentType.contract_renewal, NOW - timedelta(days=3), n=2)
    budget: dict[str, Any] = {"contact_budget": 2, "contact_window": timedelta(days=7), "min_gap": timedelta(0)}
    held = detect(engine, **budget)
    assert (held.patterns, held.skipped.contact_budget) == ([], 1)
    assert len(detect(engine, **budget | {"contact_budget": 3}).patterns) == 1
    # A day later the first contact has left the window.
    assert keys(detect(engine, as_of=NOW + timedelta(days=1), **budget)) == ["due_invoice:INV-1"]


@pytest.mark.parametrize("kind", ["conversation", "ticket"])
def test_no_proposal_talks_over_a_matter_the_team_has_open_with_the_customer(engine: Engine, kind: str) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=10))
    matter = add_open_matter(engine, "c1", kind, NOW - timedelta(hours=3))
    held = detect(engine)
    assert (held.patterns, held.skipped.open_matter) == ([], 1)
    close_matter(engine, matter)
    assert keys(detect(engine)) == ["due_invoice:INV-1"]


def test_an_escalation_holds_outreach_until_its_ticket_is_solved_or_for_two_weeks(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=10))
    conversation = add_open_matter(engine, "c1", "conversation", NOW - timedelta(days=3))
    assert detect(engine).skipped.open_matter == 1
    # Left escalated with no ticket solved, it holds for two weeks after its last message, not for ever.
    assert keys(detect(engine, as_of=NOW + timedelta(days=12))) == ["due_invoice:INV-1"]
    solve_ticket_of(engine, conversation)
    assert keys(detect(engine)) == ["due_invoice:INV-1"]


def test_one_proposal_per_customer_and_agent_per_run_even_across_pages(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_customer(engine, "c2")
    for n in range(1, 4):
        add_invoice(engine, f"INV-1{n}", "c1", due=TODAY - timedelta(days=10 + n))
    add_invoice(engine, "INV-21", "c2", due=TODAY - timedelta(days=10))
    for limit in (1, 2, 200):
        page = detect(engine, limit=limit)
        assert sorted(p.customer_id for p in page.patterns) == ["c1", "c2"], limit
        assert page.skipped.cooldown == 2


def test_daily_maximum_counts_the_locations_local_day(engine: Engine) -> None:
    add_location(engine, time_zone="America/Chicago")
    for n in range(1, 6):
        add_customer(engine, f"c{n}")
        add_invoice(engine, f"INV-{n}", f"c{n}", due=TODAY - timedelta(days=10))
    chicago = ZoneInfo("America/Chicago")
    as_of = datetime(2026, 11, 18, 0, 30, tzinfo=chicago)  # just after local midnight (06:30 UTC)
    # Two proposals yesterday evening, local time: after midnight in UTC, but not today in Chicago.
    for n in (1, 2):
        add(engine, ProposedAction(id=f"outreach:y{n}", location_id=LOCATION_ID, agent_type=AgentType.due_invoice,
                                   dedup_key=f"due_invoice:Y{n}", customer_id="c5", status=ActionStatus.pending,
                                   channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                                   confidence=1, created_at=datetime(2026, 11, 17, 23, 0, tzinfo=chicago),
                                   expires_at=as_of))  # fmt: skip
    page = detect(engine, as_of=as_of, daily_max=3)
    assert len(page.patterns) == 3
    assert page.skipped.daily_cap == 1  # c5 has an open proposal: held by the cooldown, not the cap
    # One more proposal earlier today leaves room for two.
    add(engine, ProposedAction(id="outreach:t1", location_id=LOCATION_ID, agent_type=AgentType.due_invoice,
                               dedup_key="due_invoice:T1", customer_id="c5", status=ActionStatus.pending,
                               channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                               confidence=1, created_at=datetime(2026, 11, 18, 0, 10, tzinfo=chicago),
                               expires_at=as_of))  # fmt: skip
    assert len(detect(engine, as_of=as_of, daily_max=3).patterns) == 2


def test_confidence_has_reasons_and_rewards_complete_data(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "full", name="Ada Lovelace", mobile_phone="+31612345678")
    add_customer(engine, "bare", name="Ada", email=None)
    add_invoice(engine, "INV-1", "full", due=TODAY - timedelta(days=10))
    add_invoice(engine, "INV-2", "bare", due=TODAY - timedelta(days=10))
    by_customer = {p.customer_id: p for p in detect(engine).patterns}
    full, bare = by_customer["full"], by_customer["bare"]
    assert 0 <= bare.confidence < full.confidence <= 100
    assert "+20 email address on file" in full.confidence_reasons
    assert "-20 no email address" in bare.confidence_reasons
