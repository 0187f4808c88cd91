"""Safeguards over time and inside the outreach: cooldowns across days and the daily maximum at local
midnight on the time-skipping server; business hours (deferred across weekends, holidays and DST, never
dropped); the customer's contact budget across agents (held, never dropped; given back to the operator after
too many holds); auto-execute only at or above the threshold; the re-check right before delivery that cancels
with the reason."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.business_hours import WEEKDAYS
from models.db import session_scope
from models.messages import (
    ActionStatus,
    AgentType,
    ApproveRequest,
    CancelRequest,
    Channel,
    DetectionInput,
    DetectionResult,
    Priority,
)
from models.tables import Delivery, Invoice, Location, ProposedAction, TimelineEntry
from settings import Settings
from tests.conftest import action_row, poll, start_outreach, worker_for
from tests.factories import LOCATION_ID, add_customer, add_invoice, add_location, configure, overdue_invoice_input
from workflows.detection import DetectionWorkflow
from workflows.outreach import OutreachWorkflow

AMS = ZoneInfo("Europe/Amsterdam")
CHICAGO = ZoneInfo("America/Chicago")


def status_is(engine: Engine, action_id: str, status: ActionStatus) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return action_row(engine, action_id).status == status

    return probe


def actions(engine: Engine) -> list[ProposedAction]:
    with Session(engine) as session:
        return list(session.exec(select(ProposedAction)).all())


def timeline(engine: Engine, action_id: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(TimelineEntry.body)
                .where(col(TimelineEntry.proposed_action_id) == action_id)
                .order_by(col(TimelineEntry.at))
            ).all()
        )


async def detect(env: WorkflowEnvironment, task_queue: str) -> DetectionResult:
    """A detection run as the Schedule starts it: its time is the server's (skipped) clock."""
    return await env.client.execute_workflow(
        DetectionWorkflow.run, DetectionInput(location_id=LOCATION_ID), id=f"detection-{uuid.uuid4()}",
        task_queue=task_queue,
    )  # fmt: skip


async def recorded(engine: Engine, count: int) -> list[ProposedAction]:
    """The proposals, once `count` of them are in the read model (outreaches record theirs as they start)."""

    async def probe() -> list[ProposedAction] | None:
        rows = actions(engine)
        return rows if len(rows) == count else None

    return await poll(probe, f"{count} proposals to be recorded")


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    await env.sleep(moment - await env.get_current_time())


async def test_the_cooldown_holds_a_customer_for_days_after_a_delivery(
    own_clock: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    add_location(engine)
    configure(engine, cooldown_days=3)
    add_customer(engine, "cust-1")
    for number in ("INV-1", "INV-2"):  # two situations of one customer: one outreach, then the cooldown
        add_invoice(engine, number, "cust-1", due=date.today() - timedelta(days=10))
    async with worker_for(own_clock.client, engine, settings) as worker:
        first = await detect(own_clock, worker.task_queue)
        assert (first.started, first.skipped.cooldown) == (1, 1)
        [action] = await recorded(engine, 1)
        await own_clock.client.get_workflow_handle(action.id).execute_update(OutreachWorkflow.approve, ApproveRequest())
        await poll(status_is(engine, action.id, ActionStatus.sent), "the first outreach to be delivered")

        # Two days and an hour later the 48-hour minimum gap has passed, the 3-day cooldown has not.
        await own_clock.sleep(timedelta(days=2, hours=1))
        held = await detect(own_clock, worker.task_queue)
        assert (held.started, held.skipped.cooldown) == (0, 1)

        await own_clock.sleep(timedelta(days=1))
        freed = await detect(own_clock, worker.task_queue)
        assert freed.started == 1
        both = await recorded(engine, 2)
    # The second is the other invoice, or the first's second reminder: the server's clock skips ahead through every
    # waiting workflow's timers, so how overdue INV-1 is by then is not the test's to say.
    keys = sorted(row.dedup_key for row in both)
    assert keys[0] == "due_invoice:INV-1" and keys[1] in ("due_invoice:INV-1:2", "due_invoice:INV-2")


async def test_the_daily_maximum_resets_at_the_locations_midnight(
    own_clock: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    add_location(engine, time_zone="America/Chicago")
    configure(engine, daily_max=1)
    for n in range(1, 4):
        add_customer(engine, f"cust-{n}")
        add_invoice(engine, f"INV-{n}", f"cust-{n}", due=date.today() - timedelta(days=10))
    local_now = (await own_clock.get_current_time()).astimezone(CHICAGO)
    noon = datetime.combine(local_now.date() + timedelta(days=1), time(12), CHICAGO)
    midnight = datetime.combine(noon.date() + timedelta(days=1), time(0), CHICAGO)
    async with worker_for(own_clock.client, engine, settings) as worker:
        await skip_to(own_clock, noon)
        at_noon = await detect(own_clock, worker.task_queue)
        assert (at_noon.started, at_noon.skipped.daily_cap) == (1, 2)
        await recorded(engine, 1)

        # Chicago's midnight is 06:00 UTC: a UTC day would already have let these through.
        await skip_to(own_clock, midnight - timedelta(minutes=10))
        before = await detect(own_clock, worker.task_queue)
        assert (before.started, before.skipped.daily_cap) == (0, 2)

        await skip_to(own_clock, midnight + timedelta(minutes=10))
        after = await detect(own_clock, worker.task_queue)
        assert (after.started, after.skipped.daily_cap) == (1, 1)
        await recorded(engine, 2)


def next_dst_change(zone: ZoneInfo, after: datetime) -> date:
    """The first local day after `after` whose UTC offset differs from the day before's."""

    def offset(day: date) -> timedelta | None:
        return datetime.combine(day, time(12), zone).utcoffset()

    day = after.astimezone(zone).date()
    while offset(day + timedelta(days=1)) == offset(day):
        day += timedelta(days=1)
    return day + timedelta(days=1)


async def test_a_voice_approval_waits_over_a_weekend_a_holiday_and_a_dst_change_for_the_next_opening(
    own_clock: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    # Friday evening before the clocks change on Sunday; Monday is a public holiday.
    # From three days on, so that Friday evening is still ahead whatever day the test runs.
    sunday = next_dst_change(AMS, await own_clock.get_current_time() + timedelta(days=3))
    assert sunday.weekday() == 6
    friday, holiday, tuesday = sunday - timedelta(days=2), sunday + timedelta(days=1), sunday + timedelta(days=2)
    opening = datetime.combine(tuesday, time(9), AMS)
    assert opening.utcoffset() != datetime.combine(friday, time(9), AMS).utcoffset()
    weekdays = {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}
    location = {"business_hours": weekdays, "closures": [holiday.isoformat()], "voice_enabled": True}
    input = overdue_invoice_input(engine, location=location, expiry=timedelta(days=7))
    client = own_clock.client
    await skip_to(own_clock, datetime.combine(friday, time(18), AMS))
    async with worker_for(client, engine, settings) as worker:
        handle = await start_outreach(client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest(channel=Channel.voice))
        await poll(status_is(engine, handle.id, ActionStatus.deferred), "the call to be deferred")
        assert f"{opening:%A %Y-%m-%d %H:%M}" in timeline(engine, handle.id)[-1]

        # A clock that ignored the change would call an hour early or late: 08:55 local is still closed.
        await skip_to(own_clock, opening - timedelta(minutes=5))
        assert action_row(engine, handle.id).status == ActionStatus.deferred
        await skip_to(own_clock, opening + timedelta(minutes=5))
        await poll(status_is(engine, handle.id, ActionStatus.sent), "the deferred call to go out at opening")
        await handle.terminate()
    with Session(engine) as session:
        call = session.exec(select(Delivery)).one()
    assert call.channel == Channel.voice
    assert call.to_address == "+31612345678"
    assert "https://" not in call.body_html


async def test_auto_execute_sends_only_at_or_above_the_threshold(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    confident = overdue_invoice_input(engine, auto_execute=True, confidence_threshold=0)
    async with worker_for(temporal, engine, settings) as worker:
        handle = await start_outreach(temporal, worker.task_queue, confident, engine)
        await poll(status_is(engine, handle.id, ActionStatus.sent), "the auto-executed outreach to be sent")
        assert any(note.startswith("Auto-executed: confidence") for note in timeline(engine, handle.id))

        doubtful = confident.model_copy(
            update={"policy": confident.policy.model_copy(update={"confidence_threshold": 100})}
        )
        doubtful.pattern.dedup_key = "due_invoice:other"
        held = await start_outreach(temporal, worker.task_queue, doubtful, engine)
        assert action_row(engine, held.id).status == ActionStatus.pending
        await handle.terminate()
        await held.terminate()


async def test_a_paid_invoice_cancels_the_approved_outreach_with_the_reason(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine)
    async with worker_for(temporal, engine, settings) as worker:
        handle = await start_outreach(temporal, worker.task_queue, input, engine)
        with session_scope(engine) as session:
            invoice = session.get(Invoice, f"{LOCATION_ID}-INV-1")
            assert invoice is not None
            invoice.paid_at = datetime.now(UTC)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        outcome = await handle.result()
    assert outcome.status is ActionStatus.cancelled
    assert timeline(engine, handle.id)[-1] == "Cancelled before delivery: Invoice INV-1 has been paid."
    with Session(engine) as session:
        assert session.exec(select(Delivery)).all() == []


async def test_the_daily_maximum_is_checked_again_at_delivery(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    first = overdue_invoice_input(engine, daily_max=1, cooldown=timedelta(0), min_gap=timedelta(0))
    second = first.model_copy(deep=True)
    second.pattern.dedup_key = "due_invoice:INV-1-again"
    async with worker_for(temporal, engine, settings) as worker:
        sent = await start_outreach(temporal, worker.task_queue, first, engine)
        held = await start_outreach(temporal, worker.task_queue, second, engine)
        await sent.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await poll(status_is(engine, sent.id, ActionStatus.sent), "the first delivery")
        await held.execute_update(OutreachWorkflow.approve, ApproveRequest())
        assert (await held.result()).status is ActionStatus.cancelled
        await sent.terminate()
    assert "maximum of 1 due_invoice deliveries" in timeline(engine, held.id)[-1]


async def test_an_opt_out_while_waiting_cancels_before_anything_is_sent(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine)
    async with worker_for(temporal, engine, settings) as worker:
        handle = await start_outreach(temporal, worker.task_queue, input, engine)
        await handle.signal(OutreachWorkflow.cancel, CancelRequest(reason="The customer opted out of outreach."))
        outcome = await handle.result()
    assert outcome.status is ActionStatus.cancelled
    assert action_row(engine, handle.id).cancel_reason == "The customer opted out of outreach."


def other_outreach(
    engine: Engine, agent_type: AgentType, claimed: datetime | None, priority: Priority = Priority.normal
) -> None:
    """Another agent's outreach to cust-1: delivered (`claimed` then), or approved and about to go (None)."""
    status = ActionStatus.sent if claimed else ActionStatus.approved
    with session_scope(engine) as session:
        session.add(
            ProposedAction(id=f"outreach:{agent_type.value}", location_id=LOCATION_ID, agent_type=agent_type,
                           dedup_key=f"{agent_type.value}:cust-1", customer_id="cust-1", status=status,
                           channel=Channel.ai_email, subject="s", body_html="b", body_text="b", reason="r",
                           confidence=90, priority=priority, created_at=claimed or datetime.now(UTC),
                           expires_at=datetime.now(UTC) + timedelta(days=30), delivery_claimed_at=claimed)
        )  # fmt: skip


BUDGET: dict[str, Any] = {
    "contact_budget": 1,
    "contact_window": timedelta(days=7),
    "min_gap": timedelta(0),
    "expiry": timedelta(days=7),
}


async def test_an_outreach_over_the_customers_contact_budget_waits_for_room_then_goes_out(
    own_clock: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, **BUDGET)
    other_outreach(engine, AgentType.first_booking, claimed=await own_clock.get_current_time() - timedelta(days=6))
    async with worker_for(own_clock.client, engine, settings) as worker:
        handle = await start_outreach(own_clock.client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await poll(status_is(engine, handle.id, ActionStatus.deferred), "the outreach to be held")
        held = action_row(engine, handle.id).held_reason
        assert held is not None and held.startswith("The customer's contact budget (1 in 7 days) is spent;")
        assert timeline(engine, handle.id)[-1] == f"Deferred: {held}"
        await own_clock.sleep(timedelta(days=1, minutes=1))
        await poll(status_is(engine, handle.id, ActionStatus.sent), "the held outreach to go out once there is room")
        assert action_row(engine, handle.id).held_reason is None
        await handle.terminate()


async def test_an_outreach_held_too_often_goes_back_to_the_operator_whose_approval_sends_it(
    own_clock: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, **BUDGET)
    other_outreach(engine, AgentType.contract_renewal, claimed=None, priority=Priority.critical)
    async with worker_for(own_clock.client, engine, settings) as worker:
        handle = await start_outreach(own_clock.client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await poll(status_is(engine, handle.id, ActionStatus.deferred), "the outreach to yield to the urgent one")
        assert "kept for a more urgent outreach (contract_renewal)" in timeline(engine, handle.id)[-1]
        for _ in range(5):  # checked again every four hours, held each time
            await own_clock.sleep(timedelta(hours=4, minutes=1))
        await poll(status_is(engine, handle.id, ActionStatus.pending), "the outreach to go back to the inbox")
        entries = timeline(engine, handle.id)
        assert sum(entry.startswith("Deferred: ") for entry in entries) == 5
        assert entries[-1].startswith("Held back 5 times, last: The customer's contact budget")
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await poll(status_is(engine, handle.id, ActionStatus.sent), "the operator's second approval to send it")
        await handle.terminate()


async def test_an_email_approved_at_night_waits_for_the_morning_on_the_customers_clock(
    own_clock: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, expiry=timedelta(days=7))
    with session_scope(engine) as session:
        location = session.get(Location, LOCATION_ID)
        assert location is not None
        location.quiet_hours = {Channel.ai_email: ["21:00", "08:00"]}
    evening = (await own_clock.get_current_time() + timedelta(days=1)).astimezone(AMS).date()
    morning = datetime.combine(evening + timedelta(days=1), time(8), AMS)
    await skip_to(own_clock, datetime.combine(evening, time(22, 30), AMS))
    async with worker_for(own_clock.client, engine, settings) as worker:
        handle = await start_outreach(own_clock.client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await poll(status_is(engine, handle.id, ActionStatus.deferred), "the night's email to be held")
        assert f"it goes out on {morning:%Y-%m-%d} 08:00 (Europe/Amsterdam)" in timeline(engine, handle.id)[-1]
        await skip_to(own_clock, morning - timedelta(minutes=5))
        assert action_row(engine, handle.id).status == ActionStatus.deferred
        await skip_to(own_clock, morning + timedelta(minutes=1))
        await poll(status_is(engine, handle.id, ActionStatus.sent), "the email to go out in the morning")
        await handle.terminate()
