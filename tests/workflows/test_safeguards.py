"""Safeguards inside the outreach: business hours (deferred, never dropped), auto-execute only at or
above the threshold, and the re-check right before delivery that cancels with the reason."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.db import session_scope
from models.messages import ActionStatus, ApproveRequest, CancelRequest, Channel
from models.tables import Delivery, Invoice, TimelineEntry
from settings import Settings
from tests.conftest import action_row, poll, start_outreach, worker_for
from tests.factories import LOCATION_ID, overdue_invoice_input
from workflows.business_hours import WEEKDAYS
from workflows.outreach import OutreachWorkflow

AMS = ZoneInfo("Europe/Amsterdam")


def status_is(engine: Engine, action_id: str, status: ActionStatus) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return action_row(engine, action_id).status == status

    return probe


def timeline(engine: Engine, action_id: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(TimelineEntry.body)
                .where(col(TimelineEntry.proposed_action_id) == action_id)
                .order_by(col(TimelineEntry.at))
            ).all()
        )


async def test_a_voice_approval_outside_business_hours_waits_for_the_next_opening(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    now = (await time_skipping.get_current_time()).astimezone(AMS)
    open_day = now.date() + timedelta(days=2)  # closed today and tomorrow
    hours = {WEEKDAYS[open_day.weekday()]: [["09:00", "10:00"]]}
    opening = datetime.combine(open_day, time(9), AMS)
    input = overdue_invoice_input(
        engine, location={"business_hours": hours, "voice_enabled": True}, expiry=timedelta(days=7)
    )
    client = time_skipping.client
    async with worker_for(client, engine, settings) as worker:
        handle = await start_outreach(client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest(channel=Channel.voice))
        await poll(status_is(engine, handle.id, ActionStatus.deferred), "the call to be deferred")
        assert f"{opening:%A %Y-%m-%d %H:%M}" in timeline(engine, handle.id)[-1]

        await time_skipping.sleep(opening - await time_skipping.get_current_time() - timedelta(minutes=5))
        assert action_row(engine, handle.id).status == ActionStatus.deferred
        await time_skipping.sleep(timedelta(minutes=10))
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
