"""The last check before delivery claims the delivery in the same transaction, so the daily maximum,
the cooldown, the minimum gap and the customer's contact budget hold exactly even when outreaches race each other
to send."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from agents.registry import AGENTS
from agents.scan import scan_page, start_scan
from demo.bulk import add_approved
from domain.ids import outreach_id
from models.db import session_scope
from models.messages import ActionStatus, AgentType, Channel, Priority, SendCheck, SendVerdict
from models.tables import Customer, Invoice, Location, ProposedAction
from safeguards.before_send import check_and_claim
from tests.factories import (
    LOCATION_ID,
    add_customer,
    add_invoice,
    add_location,
    add_open_matter,
    close_matter,
    policy,
)

NOW = datetime.now(UTC)


def approved_outreaches(engine: Engine, customers: int, **policy_overrides: Any) -> list[SendCheck]:
    """One approved, not yet delivered, due_invoice outreach per customer, as the checks its workflows make."""
    add_location(engine)
    for n in range(customers):
        add_customer(engine, f"cust-{n}")
        add_invoice(engine, f"INV-{n}", f"cust-{n}", due=date.today() - timedelta(days=10))
    chosen = policy(engine)
    with Session(engine) as session:
        scan = start_scan(session, LOCATION_ID, chosen, NOW)
        assert scan is not None
        patterns = scan_page(session, scan, None, 1_000, 0).patterns
    assert len(patterns) == customers
    add_approved(engine, patterns, NOW)
    # Detected under the default policy; checked under the one the test is about.
    checked = chosen.model_copy(update=policy_overrides)
    return [SendCheck(action_id=outreach_id(p), policy=checked, at=NOW) for p in patterns]


def check(engine: Engine, request: SendCheck) -> str | None:
    return check_and_claim(engine, request, AGENTS[request.policy.agent_type].resolved).cancel_reason


def set_status(engine: Engine, action_id: str, status: ActionStatus) -> None:
    with session_scope(engine) as session:
        action = session.get(ProposedAction, action_id)
        assert action is not None
        action.status = status


def test_the_last_slot_goes_to_one_outreach_even_before_the_first_is_delivered(engine: Engine) -> None:
    first, second = approved_outreaches(engine, 2, daily_max=1)
    assert check(engine, first) is None
    # The first has claimed the slot but not sent yet: counting deliveries would let the second through.
    reason = check(engine, second)
    assert reason is not None and "Today's maximum of 1 due_invoice deliveries" in reason
    assert check(engine, first) is None  # a retried check finds its own claim
    # A delivery that failed sent nothing, so its slot is free again.
    set_status(engine, first.action_id, ActionStatus.failed)
    assert check(engine, second) is None


def test_racing_checks_never_exceed_the_daily_maximum(engine: Engine) -> None:
    racers = approved_outreaches(engine, 8, daily_max=3)
    start = threading.Barrier(len(racers))

    def race(request: SendCheck) -> str | None:
        start.wait()
        return check(engine, request)

    with ThreadPoolExecutor(len(racers)) as pool:
        reasons = list(pool.map(race, racers))
    assert sum(reason is None for reason in reasons) == 3
    with Session(engine) as session:
        claimed = [session.get(ProposedAction, r.action_id) for r in racers]
        assert sum(action is not None and action.delivery_claimed_at is not None for action in claimed) == 3


def test_a_claim_holds_the_customer_for_other_agents_within_the_minimum_gap(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1, min_gap=timedelta(hours=48))
    assert check(engine, invoice) is None
    first_booking = invoice.policy.model_copy(update={"agent_type": AgentType.first_booking})
    other = invoice.model_copy(update={"action_id": "outreach:other-agent", "policy": first_booking})
    with session_scope(engine) as session:
        session.add(
            ProposedAction(id=other.action_id, location_id=LOCATION_ID, agent_type=AgentType.first_booking,
                           dedup_key="first_booking:cust-0", customer_id="cust-0", status=ActionStatus.approved,
                           channel=invoice.policy.channel, subject="s", body_html="b", body_text="b", reason="r",
                           confidence=90, created_at=NOW, expires_at=NOW)
        )  # fmt: skip
    reason = check(engine, other)
    assert reason is not None and "within the 48-hour minimum gap" in reason


def other_agent(
    engine: Engine, claim: SendCheck, agent_type: AgentType, priority: Priority, **fields: Any
) -> SendCheck:
    """An approved outreach of another agent to the same customer, as its workflow checks it."""
    checked = claim.model_copy(
        update={
            "action_id": f"outreach:{agent_type.value}",
            "policy": claim.policy.model_copy(update={"agent_type": agent_type}),
        }
    )
    with session_scope(engine) as session:
        session.add(
            ProposedAction(id=checked.action_id, location_id=LOCATION_ID, agent_type=agent_type,
                           dedup_key=f"{agent_type.value}:cust-0", customer_id="cust-0", status=ActionStatus.approved,
                           channel=claim.policy.channel, subject="s", body_html="b", body_text="b", reason="r",
                           confidence=90, priority=priority, created_at=NOW, expires_at=NOW, **fields)
        )  # fmt: skip
    return checked


def still_there(*_: object) -> None:
    """The situation of an outreach added by hand: still there (what is tested is the budget)."""


BUDGET = {"contact_budget": 1, "contact_window": timedelta(days=7), "min_gap": timedelta(0)}


def test_the_contact_budget_holds_a_customer_across_agents_until_its_window_has_room(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1, **BUDGET)
    assert check(engine, invoice) is None
    booking = other_agent(engine, invoice, AgentType.first_booking, Priority.normal)
    verdict = check_and_claim(engine, booking, still_there)
    assert verdict.cancel_reason is None and verdict.held_until == NOW + timedelta(days=7)
    room = (NOW + timedelta(days=7)).astimezone(ZoneInfo("Europe/Amsterdam"))
    assert verdict.held_reason == (
        f"The customer's contact budget (1 in 7 days) is spent; it has room again on {room:%Y-%m-%d %H:%M} "
        "(Europe/Amsterdam)."
    )
    assert action_row_claim(engine, booking.action_id) is None  # held, not claimed
    # A week on, the first contact has left the window.
    later = booking.model_copy(update={"at": NOW + timedelta(days=7)})
    assert check_and_claim(engine, later, still_there) == SendVerdict()
    # An operator who approved again after the holds sends it whatever the budget says.
    renewal = other_agent(engine, invoice, AgentType.contract_renewal, Priority.normal)
    waived = renewal.model_copy(update={"budget_waived": True})
    assert check_and_claim(engine, waived, still_there).held_reason is None


def test_the_more_urgent_outreach_gets_the_customers_last_place(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1, **BUDGET)
    renewal = other_agent(engine, invoice, AgentType.contract_renewal, Priority.critical)
    verdict = check_and_claim(engine, invoice, AGENTS[AgentType.due_invoice].resolved)
    assert (
        verdict.held_reason is not None and "kept for a more urgent outreach (contract_renewal)" in verdict.held_reason
    )
    assert verdict.held_until == NOW + timedelta(hours=4)
    assert check_and_claim(engine, renewal, still_there).held_reason is None


def test_racing_checks_never_exceed_a_customers_contact_budget(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1, contact_budget=2, min_gap=timedelta(0))
    racers = [invoice] + [
        other_agent(engine, invoice, agent_type, Priority.normal)
        for agent_type in (AgentType.first_booking, AgentType.contract_renewal, AgentType.lead_follow_up)
    ]
    start = threading.Barrier(len(racers))

    def race(request: SendCheck) -> SendVerdict:
        start.wait()
        return check_and_claim(engine, request, still_there)

    with ThreadPoolExecutor(len(racers)) as pool:
        verdicts = list(pool.map(race, racers))
    assert sum(verdict == SendVerdict() for verdict in verdicts) == 2
    assert sum(action_row_claim(engine, racer.action_id) is not None for racer in racers) == 2


def action_row_claim(engine: Engine, action_id: str) -> datetime | None:
    with Session(engine) as session:
        action = session.get(ProposedAction, action_id)
        assert action is not None
        return action.delivery_claimed_at


def test_an_outreach_waits_while_the_team_has_a_matter_open_with_the_customer(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1)
    ticket = add_open_matter(engine, "cust-0", "ticket", NOW)
    held = check_and_claim(engine, invoice, AGENTS[AgentType.due_invoice].resolved)
    assert held.cancel_reason is None and held.held_until == NOW + timedelta(hours=4)
    assert (held.held_reason or "").startswith("The customer's help-desk ticket T-0001 is open. Checked again on ")
    assert action_row_claim(engine, invoice.action_id) is None
    close_matter(engine, ticket)
    assert check_and_claim(engine, invoice, AGENTS[AgentType.due_invoice].resolved) == SendVerdict()


def test_an_outreach_waits_for_the_end_of_its_channels_quiet_hours_on_the_customers_clock(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1)
    with session_scope(engine) as session:
        location = session.get(Location, LOCATION_ID)
        assert location is not None
        location.quiet_hours = {Channel.ai_email: ["21:00", "08:00"]}
    amsterdam = ZoneInfo("Europe/Amsterdam")
    night = invoice.model_copy(update={"at": datetime(2026, 12, 4, 22, 30, tzinfo=amsterdam)})
    held = check_and_claim(engine, night, AGENTS[AgentType.due_invoice].resolved)
    assert held.held_until == datetime(2026, 12, 5, 8, 0, tzinfo=amsterdam)
    assert held.held_reason == (
        "Quiet hours for AI assisted email: 21:00 to 08:00 on the customer's clock; it goes out on 2026-12-05 08:00 "
        "(Europe/Amsterdam)."
    )
    assert action_row_claim(engine, invoice.action_id) is None
    # A customer in New York reads it at half past four in the afternoon.
    with session_scope(engine) as session:
        customer = session.get(Customer, "cust-0")
        assert customer is not None
        customer.time_zone = "America/New_York"
    assert check_and_claim(engine, night, AGENTS[AgentType.due_invoice].resolved) == SendVerdict()


def test_a_reminder_waits_for_a_payment_reported_on_its_way_then_goes_if_it_never_came(engine: Engine) -> None:
    [invoice] = approved_outreaches(engine, 1)
    with session_scope(engine) as session:
        action = session.get(ProposedAction, invoice.action_id)
        assert action is not None
        paying = session.get(Invoice, str(action.facts["invoice_id"]))
        assert paying is not None
        paying.payment_reported_at = NOW - timedelta(days=1)
    agent = AGENTS[AgentType.due_invoice]
    held = check_and_claim(engine, invoice, agent.resolved, agent.waiting)
    assert held.cancel_reason is None and held.held_until == NOW + timedelta(days=4)
    assert (held.held_reason or "").startswith("A payment of the invoice was reported on ")
    assert action_row_claim(engine, invoice.action_id) is None
    later = invoice.model_copy(update={"at": NOW + timedelta(days=4)})
    assert check_and_claim(engine, later, agent.resolved, agent.waiting) == SendVerdict()
