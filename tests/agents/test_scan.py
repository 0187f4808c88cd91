"""Detection correctness on SQLite and PostgreSQL: each detector finds exactly its situations, and
each safeguard holds back exactly what it should (every test here fails without its safeguard).
Time is an input (`as_of`), so days and local midnights are crossed without waiting."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from agents.base import LEAVING_SAID_HOLDS
from agents.preview import preview
from agents.registry import AGENTS
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
    TourStatus,
)
from models.tables import (
    AgentConfig,
    Booking,
    CheckIn,
    Contract,
    Customer,
    Delivery,
    Invoice,
    LeadInquiry,
    Location,
    Plan,
    ProposedAction,
    Resource,
    Tour,
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


def propose(engine: Engine, pattern: Pattern) -> None:
    """The pattern proposed (and left to expire, unsent): its situation is never proposed again."""
    add(engine, ProposedAction(id=f"outreach:{pattern.dedup_key}", location_id=LOCATION_ID,
                               agent_type=pattern.agent_type, dedup_key=pattern.dedup_key,
                               customer_id=pattern.customer_id, status=ActionStatus.expired, channel=Channel.ai_email,
                               subject="s", body_html="b", body_text="b", reason="r", confidence=1, created_at=NOW,
                               expires_at=NOW))  # fmt: skip


def test_due_invoice_threshold_is_inclusive_and_paid_invoices_never_count(engine: Engine) -> None:
    add_location(engine)
    for n, days in enumerate([4, 5, 30], start=1):
        add_customer(engine, f"c{n}")
        add_invoice(engine, f"INV-{n}", f"c{n}", due=TODAY - timedelta(days=days))
    add_customer(engine, "c4")
    add_invoice(engine, "INV-4", "c4", due=TODAY - timedelta(days=40), paid=True)
    page = detect(engine)
    assert keys(page) == ["due_invoice:INV-2", "due_invoice:INV-3:3"]  # 30 days overdue: its final reminder
    by_key = {p.dedup_key: p for p in page.patterns}
    assert by_key["due_invoice:INV-3:3"].priority is Priority.high
    assert by_key["due_invoice:INV-3:3"].facts["invoice_amount"] == "€1,234.56"


def test_an_unpaid_invoice_gets_a_second_and_a_final_reminder_each_once(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=5))
    never = timedelta(0)  # no cooldown, no minimum gap: only the tiers hold them apart
    first = detect(engine, cooldown=never, min_gap=never)
    assert keys(first) == ["due_invoice:INV-1"] and first.patterns[0].facts["reminder"] == 1
    propose(engine, first.patterns[0])
    # Nine days on, the first is proposed and the second not due yet.
    assert keys(detect(engine, as_of=NOW + timedelta(days=9), cooldown=never, min_gap=never)) == []
    second = detect(engine, as_of=NOW + timedelta(days=10), cooldown=never, min_gap=never)
    assert keys(second) == ["due_invoice:INV-1:2"]
    assert second.patterns[0].reason.startswith("Second reminder: invoice INV-1")
    propose(engine, second.patterns[0])
    final = detect(engine, as_of=NOW + timedelta(days=25), cooldown=never, min_gap=never)
    assert keys(final) == ["due_invoice:INV-1:3"] and final.patterns[0].facts["reminder"] == 3
    propose(engine, final.patterns[0])
    # Three reminders at most.
    assert keys(detect(engine, as_of=NOW + timedelta(days=60), cooldown=never, min_gap=never)) == []


def test_a_payment_reported_on_its_way_holds_its_reminders_until_it_had_time_to_arrive(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-1", "c1", due=TODAY - timedelta(days=8))
    with session_scope(engine) as session:
        invoice = session.exec(select(Invoice)).one()
        invoice.payment_reported_at = NOW - timedelta(days=2)
    assert keys(detect(engine)) == []
    assert keys(detect(engine, as_of=NOW + timedelta(days=3))) == ["due_invoice:INV-1"]


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


def tour(name: str, starts: datetime, status: TourStatus, customer: str | None = None) -> Tour:
    return Tour(id=f"{LOCATION_ID}:{name}", location_id=LOCATION_ID, customer_id=customer or name, starts_at=starts,
                status=status, updated_at=NOW)  # fmt: skip


def test_tour_reminder_finds_tours_of_today_and_tomorrow_on_the_locations_calendar(engine: Engine) -> None:
    add_location(engine)  # Amsterdam: NOW is 16:00 there
    amsterdam = ZoneInfo("Europe/Amsterdam")
    cases = {"later-today": (datetime(2026, 11, 18, 17, 0, tzinfo=amsterdam), TourStatus.scheduled),
             "tomorrow-late": (datetime(2026, 11, 19, 23, 30, tzinfo=amsterdam), TourStatus.scheduled),
             "day-after": (datetime(2026, 11, 20, 0, 30, tzinfo=amsterdam), TourStatus.scheduled),
             "begun": (datetime(2026, 11, 18, 15, 0, tzinfo=amsterdam), TourStatus.scheduled),
             "cancelled": (datetime(2026, 11, 19, 11, 0, tzinfo=amsterdam), TourStatus.cancelled)}  # fmt: skip
    for name, (starts, status) in cases.items():
        add_customer(engine, name)
        add(engine, tour(name, starts, status))
    page = detect(engine, AgentType.tour_reminder, threshold_days=1)
    assert keys(page) == ["tour_reminder:loc-test:later-today", "tour_reminder:loc-test:tomorrow-late"]
    by_key = {p.dedup_key: p for p in page.patterns}
    today = by_key["tour_reminder:loc-test:later-today"]
    assert today.priority is Priority.high and today.facts["tour_time"] == "17:00"
    assert by_key["tour_reminder:loc-test:tomorrow-late"].facts["tour_date"] == "2026-11-19"


def test_tour_reminder_is_not_sent_once_the_tour_has_begun_or_was_cancelled(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add(engine, tour("c1", NOW + timedelta(hours=20), TourStatus.scheduled))
    action = ProposedAction(id="a", location_id=LOCATION_ID, agent_type=AgentType.tour_reminder, dedup_key="k",
                            customer_id="c1", status=ActionStatus.approved, channel=Channel.ai_email, subject="s",
                            body_html="b", body_text="b", reason="r", confidence=90, created_at=NOW, expires_at=NOW,
                            facts={"tour_id": f"{LOCATION_ID}:c1"})  # fmt: skip
    resolved = AGENTS[AgentType.tour_reminder].resolved
    with Session(engine) as session:
        assert resolved(session, action, NOW) is None
        assert resolved(session, action, NOW + timedelta(hours=20)) == "The tour has begun: too late to remind of it."
    with session_scope(engine) as session:
        found = session.get(Tour, f"{LOCATION_ID}:c1")
        assert found is not None
        found.status = TourStatus.cancelled
    with Session(engine) as session:
        assert resolved(session, action, NOW) == "The tour was cancelled."


def test_tour_no_show_follows_up_a_missed_tour_within_the_month_unless_another_was_booked(engine: Engine) -> None:
    add_location(engine)
    cases = {"missed": (2, None), "just-now": (0, None), "long-ago": (40, None), "rebooked": (2, TourStatus.scheduled),
             "came-later": (5, TourStatus.attended), "member": (2, None)}  # fmt: skip
    for name, (days, later) in cases.items():
        add(engine, Customer(id=name, location_id=LOCATION_ID, name=f"{name} Person", email=f"{name}@x.example",
                             kind="member" if name == "member" else "lead"))  # fmt: skip
        add(engine, tour(name, NOW - timedelta(days=days, hours=1), TourStatus.no_show))
        if later is not None:
            add(engine, tour(f"{name}-again", NOW - timedelta(days=days) + timedelta(days=3), later, name))
    assert keys(detect(engine, AgentType.tour_no_show, threshold_days=1)) == ["tour_no_show:loc-test:missed"]


def test_booking_no_show_follows_up_bookings_reported_missed_within_two_weeks(engine: Engine) -> None:
    add_location(engine)
    add(engine, Resource(id="room", location_id=LOCATION_ID, name="Harbour Room", kind="meeting_room"))
    cases = {"missed": (3, False, "booking"), "kept": (3, True, "booking"), "unknown": (3, None, "booking"),
             "old": (20, False, "booking"), "pass": (3, False, "day_pass"), "today": (0, False, "booking")}  # fmt: skip
    for name, (days, attended, kind) in cases.items():
        add_customer(engine, name)
        starts = NOW - timedelta(days=days, hours=3)
        add(engine, Booking(id=name, customer_id=name, resource_id="room", starts_at=starts,
                            ends_at=starts + timedelta(hours=2), attended=attended, kind=kind))  # fmt: skip
    page = detect(engine, AgentType.booking_no_show, threshold_days=1)
    assert keys(page) == ["booking_no_show:missed"]
    assert page.patterns[0].facts["resource_name"] == "Harbour Room"
    assert (page.patterns[0].facts["booking_from"], page.patterns[0].facts["booking_until"]) == ("13:00", "15:00")


def test_re_engagement_finds_members_not_seen_for_n_days_by_their_last_visit(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="p", location_id=LOCATION_ID, name="Flex Desk", monthly_price_cents=25_000))
    cases = {"lapsed": ([30, 20], "member", None), "regular": ([30, 20, 3], "member", None),
             "never": ([], "member", None), "lead": ([25], "lead", None), "leaving": ([25], "member", True),
             "renewing-soon": ([16], "member", False)}  # fmt: skip
    for name, (visits, kind, cancelled) in cases.items():
        add(engine, Customer(id=name, location_id=LOCATION_ID, name=f"{name} Person", email=f"{name}@x.example",
                             kind=kind))  # fmt: skip
        for days in visits:
            add(engine, CheckIn(id=f"{LOCATION_ID}:{name}-{days}", location_id=LOCATION_ID, customer_id=name,
                                at=NOW - timedelta(days=days)))  # fmt: skip
        if cancelled is not None:
            add(engine, Contract(id=name, location_id=LOCATION_ID, customer_id=name, plan_id="p",
                                 starts_on=TODAY - timedelta(days=300), ends_on=TODAY + timedelta(days=20),
                                 cancelled=cancelled))  # fmt: skip
    page = detect(engine, AgentType.re_engagement, threshold_days=14)
    assert keys(page) == ["re_engagement:loc-test:lapsed-20", "re_engagement:loc-test:renewing-soon-16"]
    by_key = {p.dedup_key: p for p in page.patterns}
    assert by_key["re_engagement:loc-test:lapsed-20"].facts["days_since_visit"] == 20
    assert by_key["re_engagement:loc-test:lapsed-20"].priority is Priority.low
    assert by_key["re_engagement:loc-test:renewing-soon-16"].priority is Priority.normal  # its contract ends in 20 days
    # Proposed once, a lapse is not proposed again; a later lapse (after a new visit) is a new one.
    lapsed = by_key["re_engagement:loc-test:lapsed-20"]
    add(engine, ProposedAction(id="a-lapsed", location_id=LOCATION_ID, agent_type=AgentType.re_engagement,
                               dedup_key=lapsed.dedup_key, customer_id="lapsed", status=ActionStatus.sent,
                               channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                               confidence=90, created_at=NOW, expires_at=NOW, facts=lapsed.facts))  # fmt: skip
    assert keys(detect(engine, AgentType.re_engagement, threshold_days=14)) == [
        "re_engagement:loc-test:renewing-soon-16"
    ]
    add(engine, CheckIn(id=f"{LOCATION_ID}:lapsed-15", location_id=LOCATION_ID, customer_id="lapsed",
                        at=NOW - timedelta(days=15)))  # fmt: skip
    assert keys(detect(engine, AgentType.re_engagement, threshold_days=14)) == [
        "re_engagement:loc-test:lapsed-15", "re_engagement:loc-test:renewing-soon-16"]  # fmt: skip


def visits(engine: Engine, customer_id: str, days_ago: list[int]) -> None:
    add(engine, *(CheckIn(id=f"{LOCATION_ID}:{customer_id}-{days}", location_id=LOCATION_ID, customer_id=customer_id,
                          at=NOW - timedelta(days=days, hours=2)) for days in days_ago))  # fmt: skip


def test_at_risk_finds_members_coming_half_as_often_as_they_used_to_before_their_renewal(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="p", location_id=LOCATION_ID, name="Dedicated Desk", monthly_price_cents=42_500))
    usual = list(range(30, 84, 4))  # 14 visits in the eight weeks before the last four: 7 every four weeks
    cases = {"slowing": ([3, 17], 40), "steady": ([2, 6, 10, 14, 18, 22, 26], 40), "gone": ([], 40),
             "renews-later": ([3], 90), "few-before": ([3], 40)}  # fmt: skip
    for name, (recent, ends_in) in cases.items():
        add(engine, Customer(id=name, location_id=LOCATION_ID, name=f"{name} Person", email=f"{name}@x.example",
                             kind="member"))  # fmt: skip
        visits(engine, name, recent + (usual if name != "few-before" else usual[:4]))
        ends = TODAY + timedelta(days=ends_in)
        add(engine, Contract(id=name, location_id=LOCATION_ID, customer_id=name, plan_id="p",
                             starts_on=TODAY - timedelta(days=300), ends_on=ends))  # fmt: skip
    page = detect(engine, AgentType.at_risk, threshold_days=60)
    assert keys(page) == ["at_risk:slowing"]
    [pattern] = page.patterns
    assert (pattern.facts["visits_recent"], pattern.facts["visits_usual"], pattern.facts["plan_name"]) == (
        2,
        7,
        "Dedicated Desk",
    )
    assert pattern.priority is Priority.normal  # 40 days to go; within 30 it is high


def test_upsell_offers_the_next_plan_up_to_a_member_who_comes_in_most_days(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="flex", location_id=LOCATION_ID, name="Flex Desk", monthly_price_cents=25_000),
        Plan(id="fixed", location_id=LOCATION_ID, name="Dedicated Desk", monthly_price_cents=42_500),
        Plan(id="office", location_id=LOCATION_ID, name="Private Office", monthly_price_cents=125_000))  # fmt: skip
    cases = {"regular": ("flex", 18), "sometimes": ("flex", 8), "top": ("office", 20), "fixed": ("fixed", 16)}
    for name, (plan, days) in cases.items():
        add(engine, Customer(id=name, location_id=LOCATION_ID, name=f"{name} Person", email=f"{name}@x.example",
                             kind="member", plan_id=plan))  # fmt: skip
        visits(engine, name, list(range(days)))
    page = detect(engine, AgentType.upsell, threshold_days=16)
    assert keys(page) == ["upsell:fixed:fixed", "upsell:regular:flex"]
    regular = next(p for p in page.patterns if p.customer_id == "regular")
    assert (regular.facts["better_plan"], regular.facts["better_price"], regular.facts["visits_recent"]) == (
        "Dedicated Desk",
        "€425.00",
        18,
    )
    with session_scope(engine) as session:  # moved up: the offer is gone, and the next one may come
        customer = session.get(Customer, "regular")
        assert customer is not None
        customer.plan_id = "fixed"
    assert "upsell:regular:fixed" in keys(detect(engine, AgentType.upsell, threshold_days=16))


def test_a_lead_with_a_tour_booked_or_taken_needs_no_follow_up(engine: Engine) -> None:
    add_location(engine)
    for name, status in [("no-tour", None), ("booked", TourStatus.scheduled), ("toured", TourStatus.attended),
                         ("missed", TourStatus.no_show)]:  # fmt: skip
        add_customer(engine, name)
        add(engine, LeadInquiry(id=name, location_id=LOCATION_ID, customer_id=name, message="Desk for two?",
                                inquired_at=NOW - timedelta(days=10)))  # fmt: skip
        if status is not None:
            add(engine, tour(name, NOW + timedelta(days=1), status))
    page = detect(engine, AgentType.lead_follow_up, threshold_days=7)
    assert keys(page) == ["lead_follow_up:missed", "lead_follow_up:no-tour"]


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
    assert keys(detect(engine, as_of=NOW + timedelta(days=12))) == ["due_invoice:INV-1:2"]  # 22 days overdue by then
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
        assert sorted(str(p.customer_id) for p in page.patterns) == ["c1", "c2"], limit
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


def test_a_member_who_gave_notice_is_not_nudged_back_nor_offered_more(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="flex", location_id=LOCATION_ID, name="Flex Desk", monthly_price_cents=25_000),
        Plan(id="fixed", location_id=LOCATION_ID, name="Dedicated Desk", monthly_price_cents=42_500),
        Customer(id="c1", location_id=LOCATION_ID, name="Ada Lovelace", email="ada@x.example", kind="member",
                 plan_id="flex"),
        Contract(id="k1", location_id=LOCATION_ID, customer_id="c1", plan_id="flex",
                 starts_on=TODAY - timedelta(days=300), ends_on=TODAY + timedelta(days=90)))  # fmt: skip
    visits(engine, "c1", [20])
    [lapsed] = detect(engine, AgentType.re_engagement, threshold_days=14).patterns
    visits(engine, "c1", list(range(21, 40)))  # a regular before: offered the next plan too
    [regular] = detect(engine, AgentType.upsell, threshold_days=0).patterns
    actions = [ProposedAction(id=f"a-{p.agent_type}", location_id=LOCATION_ID, agent_type=p.agent_type,
                              dedup_key=p.dedup_key, customer_id="c1", status=ActionStatus.approved,
                              channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                              confidence=90, created_at=NOW, expires_at=NOW, facts=p.facts)
               for p in (lapsed, regular)]  # fmt: skip
    with Session(engine) as session:
        assert [AGENTS[a.agent_type].resolved(session, a, NOW) for a in actions] == [None, None]
    with session_scope(engine) as session:
        contract = session.get(Contract, "k1")
        assert contract is not None
        contract.cancelled = True
    with Session(engine) as session:
        assert [AGENTS[a.agent_type].resolved(session, a, NOW) for a in actions] == [
            "The member is leaving: they gave notice, or said so."] * 2  # fmt: skip
    assert detect(engine, AgentType.re_engagement, threshold_days=14).patterns == []
    assert detect(engine, AgentType.upsell, threshold_days=0).patterns == []


def test_a_customer_who_said_they_are_leaving_gets_no_renewal_nor_lead_follow_up_for_a_while(engine: Engine) -> None:
    add_location(engine)
    add(engine, Plan(id="p", location_id=LOCATION_ID, name="Dedicated Desk", monthly_price_cents=42_500))
    for name in ("member", "said-member", "lead", "said-lead"):
        add_customer(engine, name)
    for name in ("member", "said-member"):
        add(engine, Contract(id=name, location_id=LOCATION_ID, customer_id=name, plan_id="p",
                             starts_on=TODAY - timedelta(days=300), ends_on=TODAY + timedelta(days=10)))  # fmt: skip
    for name in ("lead", "said-lead"):
        add(engine, LeadInquiry(id=name, location_id=LOCATION_ID, customer_id=name, message="Desk for two?",
                                inquired_at=NOW - timedelta(days=10)))  # fmt: skip
    [renewal] = detect(engine, AgentType.contract_renewal, threshold_days=30).patterns[1:]
    [follow_up] = detect(engine, AgentType.lead_follow_up, threshold_days=7).patterns[1:]
    actions = [ProposedAction(id=f"a-{p.agent_type}", location_id=LOCATION_ID, agent_type=p.agent_type,
                              dedup_key=p.dedup_key, customer_id=p.customer_id, status=ActionStatus.approved,
                              channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                              confidence=90, created_at=NOW, expires_at=NOW, facts=p.facts)
               for p in (renewal, follow_up)]  # fmt: skip
    said = NOW - timedelta(days=3)
    with session_scope(engine) as session:
        for name in ("said-member", "said-lead"):
            customer = session.get(Customer, name)
            assert customer is not None
            customer.leaving_said_at = said
    assert keys(detect(engine, AgentType.contract_renewal, threshold_days=30)) == ["contract_renewal:member"]
    assert keys(detect(engine, AgentType.lead_follow_up, threshold_days=7)) == ["lead_follow_up:lead"]
    with Session(engine) as session:
        assert [AGENTS[a.agent_type].resolved(session, a, NOW) for a in actions] == [
            "The member said they will not renew.", "The lead said they chose another space."]  # fmt: skip
        # Their word holds for a while, not for ever: a change of mind is not ignored.
        later = said + LEAVING_SAID_HOLDS
        assert [AGENTS[a.agent_type].resolved(session, a, later) for a in actions] == [None, None]
