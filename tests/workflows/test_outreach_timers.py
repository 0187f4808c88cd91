"""OutreachWorkflow timers on the time-skipping server: expiry and snooze, days in milliseconds."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.messages import ActionStatus, SnoozeRequest
from models.tables import TimelineEntry
from settings import Settings
from tests.conftest import action_row, poll, start_outreach, worker_for
from tests.factories import overdue_invoice_input
from workflows.outreach import OutreachWorkflow


def timeline_bodies(engine: Engine, action_id: str) -> list[str]:
    with Session(engine) as session:
        entries = session.exec(
            select(TimelineEntry)
            .where(col(TimelineEntry.proposed_action_id) == action_id)
            .order_by(col(TimelineEntry.at))
        ).all()
        return [entry.body for entry in entries]


async def test_undecided_proposal_expires_after_its_window(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, expiry=timedelta(hours=72))
    async with worker_for(time_skipping.client, engine, settings) as worker:
        handle = await start_outreach(time_skipping.client, worker.task_queue, input, engine)
        outcome = await handle.result()
        run = await handle.describe()

    assert outcome.status is ActionStatus.expired
    assert run.close_time is not None
    assert timedelta(hours=72) <= run.close_time - run.start_time < timedelta(hours=73)
    assert action_row(engine, handle.id).status == ActionStatus.expired
    assert timeline_bodies(engine, handle.id)[-1].startswith("Expired")


async def test_snooze_hides_the_proposal_then_brings_it_back_with_a_fresh_window(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, expiry=timedelta(hours=72))
    async with worker_for(time_skipping.client, engine, settings) as worker:
        handle = await start_outreach(time_skipping.client, worker.task_queue, input, engine)
        until = await time_skipping.get_current_time() + timedelta(days=5)  # beyond the 72 h expiry
        result = await handle.execute_update(OutreachWorkflow.snooze, SnoozeRequest(until=until))
        assert result.status is ActionStatus.snoozed
        assert action_row(engine, handle.id).status == ActionStatus.snoozed

        # Still snoozed just before `until`: the original expiry did not fire.
        await time_skipping.sleep(timedelta(days=5) - timedelta(minutes=1))
        assert action_row(engine, handle.id).status == ActionStatus.snoozed

        await time_skipping.sleep(timedelta(minutes=2))

        async def back_in_inbox() -> bool:
            return action_row(engine, handle.id).status == ActionStatus.pending

        await poll(back_in_inbox, "the snoozed proposal to return to the inbox")
        assert action_row(engine, handle.id).expires_at == until + timedelta(hours=72)
        outcome = await handle.result()

    assert outcome.status is ActionStatus.expired
    assert "Snooze ended; back in the inbox." in timeline_bodies(engine, handle.id)


async def test_snooze_cannot_pass_the_hard_cap(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, snooze_cap=timedelta(days=14))
    async with worker_for(time_skipping.client, engine, settings) as worker:
        handle = await start_outreach(time_skipping.client, worker.task_queue, input, engine)
        until = await time_skipping.get_current_time() + timedelta(days=15)
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await handle.execute_update(OutreachWorkflow.snooze, SnoozeRequest(until=until))
        assert isinstance(raised.value.cause, ApplicationError)
        assert raised.value.cause.type == "InvalidDecision"
        assert "at the latest" in raised.value.cause.message
        assert action_row(engine, handle.id).status == ActionStatus.pending
        await handle.terminate()


async def test_a_proposal_is_snoozed_three_times_at_most(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine)
    async with worker_for(time_skipping.client, engine, settings) as worker:
        handle = await start_outreach(time_skipping.client, worker.task_queue, input, engine)
        now = await time_skipping.get_current_time()
        for hours in (1, 2, 3):
            snoozed = SnoozeRequest(until=now + timedelta(hours=hours))
            assert (await handle.execute_update(OutreachWorkflow.snooze, snoozed)).status is ActionStatus.snoozed
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await handle.execute_update(OutreachWorkflow.snooze, SnoozeRequest(until=now + timedelta(hours=4)))
        assert isinstance(raised.value.cause, ApplicationError)
        assert raised.value.cause.message == "This proposal was snoozed 3 times already: approve, edit or reject it."
        await handle.terminate()
