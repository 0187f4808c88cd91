"""Operator decisions as Signals (for engineers in the Temporal UI/CLI) and the conversation's
endings, on real servers."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.db import DbActivities
from models.messages import (
    ActionStatus,
    ApproveRequest,
    Channel,
    ConversationInput,
    ConversationStatus,
    CustomerMessage,
    Sender,
    SnoozeRequest,
)
from models.tables import Conversation, Delivery, TimelineEntry
from settings import Settings
from tests.conftest import action_row, poll, start_outreach, worker_for
from tests.factories import LOCATION_ID, overdue_invoice_input, proposal
from workflows.conversation import ConversationWorkflow
from workflows.outreach import OutreachWorkflow


def reply(body: str) -> CustomerMessage:
    return CustomerMessage(id=str(uuid.uuid4()), channel="ai_email", body=body, received_at=datetime.now(UTC))


async def test_signals_take_the_same_path_as_updates_and_invalid_ones_are_noted(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine)
    async with worker_for(temporal, engine, settings) as worker:
        handle = await start_outreach(temporal, worker.task_queue, input, engine)
        await handle.signal("snooze", SnoozeRequest(until=datetime(2000, 1, 1, tzinfo=UTC)))
        await handle.signal("approve", ApproveRequest(operator_id="engineer", subject="Edited from the CLI"))

        async def sent() -> bool:
            return action_row(engine, handle.id).status == ActionStatus.sent

        await poll(sent, "the signalled approval to be delivered")
        await handle.terminate()

    with Session(engine) as session:
        notes = session.exec(select(TimelineEntry.body).where(col(TimelineEntry.proposed_action_id) == handle.id)).all()
        delivery = session.exec(select(Delivery).where(col(Delivery.proposed_action_id) == handle.id)).one()
    assert "Ignored a snooze signal: The snooze time must be in the future." in notes
    assert delivery.subject == "Edited from the CLI"


async def test_a_request_for_a_person_escalates_the_conversation(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine)
    async with worker_for(temporal, engine, settings) as worker:
        handle = await start_outreach(temporal, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await handle.signal(OutreachWorkflow.customer_replied, reply("Can I get a payment plan? Money is tight."))
        outcome = await handle.result()

    assert outcome.status is ActionStatus.sent
    assert outcome.conversation_status is ConversationStatus.escalated
    with Session(engine) as session:
        conversation = session.exec(select(Conversation)).one()
    assert conversation.status == ConversationStatus.escalated


async def test_a_quiet_conversation_closes_after_its_idle_window(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    input = overdue_invoice_input(engine, conversation_idle=timedelta(days=7))
    client = time_skipping.client
    async with worker_for(client, engine, settings) as worker:
        handle = await start_outreach(client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        await handle.signal(OutreachWorkflow.customer_replied, reply("What is this about?"))
        outcome = await handle.result()

    assert outcome.conversation_status is ConversationStatus.closed
    with Session(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        bodies = session.exec(select(TimelineEntry.body).order_by(col(TimelineEntry.at))).all()
    assert conversation.status == ConversationStatus.closed
    assert bodies[-1] == "Closed: no reply for 7 days."


async def test_a_customer_who_writes_again_is_not_cut_off_by_a_resolution(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    change = proposal(engine)
    ActivityEnvironment().run(DbActivities(engine).record_proposal, change)
    action_id = change.record.action_id
    conversation = ConversationInput(
        conversation_id=f"conversation:{action_id}",
        action_id=action_id,
        location_id=LOCATION_ID,
        customer_id="cust-1",
        channel=Channel.ai_email,
        subject="Reminder",
        idle_timeout=timedelta(days=7),
        inbox=[reply("Thanks!"), reply("Actually, could you resend the link?")],
    )
    async with worker_for(time_skipping.client, engine, settings) as worker:
        status = await time_skipping.client.execute_workflow(
            ConversationWorkflow.run, conversation, id=conversation.conversation_id, task_queue=worker.task_queue
        )
    # Both messages were answered; the conversation then went quiet instead of ending at "Thanks!".
    assert status is ConversationStatus.closed
    with Session(engine) as session:
        senders = session.exec(
            select(TimelineEntry.sender)
            .where(col(TimelineEntry.conversation_id) == conversation.conversation_id)
            .order_by(col(TimelineEntry.at))
        ).all()
    assert senders == [Sender.customer, Sender.customer, Sender.ai, Sender.ai, Sender.system]


async def test_a_reply_that_arrives_as_the_reply_window_closes_is_answered(
    temporal: Client, engine: Engine, settings: Settings
) -> None:
    # Long enough for the worker to stop first, even on a busy machine.
    input = overdue_invoice_input(engine, reply_window=timedelta(seconds=5))
    async with worker_for(temporal, engine, settings) as worker:
        handle = await start_outreach(temporal, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())

        async def waiting_for_a_reply() -> bool:
            # Sent, and the workflow task that started the reply window's timer is done: the worker may stop.
            timers = [event.timer_started_event_attributes async for event in handle.fetch_history_events()
                      if event.HasField("timer_started_event_attributes")]  # fmt: skip
            window = input.policy.reply_window.total_seconds()
            return any(timer.start_to_fire_timeout.ToSeconds() == window for timer in timers)

        await poll(waiting_for_a_reply, "the outreach to be sent and wait for a reply")

    # With no worker running, the reply window closes and then the customer's reply comes in: the next
    # workflow task sees both at once, as it does after a worker outage or when the two cross.
    async def window_closed() -> bool:
        return any([event.HasField("timer_fired_event_attributes") async for event in handle.fetch_history_events()])

    await poll(window_closed, "the reply window to close")
    await handle.signal(OutreachWorkflow.customer_replied, reply("Sorry for the delay, could you resend the link?"))

    async def answered() -> list[str] | None:
        with Session(engine) as session:
            senders = session.exec(
                select(TimelineEntry.sender)
                .where(col(TimelineEntry.conversation_id) == f"conversation:{handle.id}")
                .order_by(col(TimelineEntry.at))
            ).all()
        return list(senders) if len(senders) >= 2 else None

    async with worker_for(temporal, engine, settings, task_queue=worker.task_queue):
        assert await poll(answered, "the late reply to be answered") == [Sender.customer, Sender.ai]
        await handle.terminate()
        await temporal.get_workflow_handle(f"conversation:{handle.id}").terminate()


async def test_the_same_message_routed_twice_is_taken_once(
    time_skipping: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    # A crash after the signal and before the mail was marked routed: the next delivery of the mail signals again.
    input = overdue_invoice_input(engine, conversation_idle=timedelta(days=7))
    client = time_skipping.client
    message = reply("What is this about?")
    async with worker_for(client, engine, settings) as worker:
        handle = await start_outreach(client, worker.task_queue, input, engine)
        await handle.execute_update(OutreachWorkflow.approve, ApproveRequest())
        for _ in range(3):
            await handle.signal(OutreachWorkflow.customer_replied, message)
        conversation = client.get_workflow_handle(f"conversation:{handle.id}")

        async def started() -> bool:
            return bool(action_row(engine, handle.id).conversation_id)

        await poll(started, "the conversation to start")
        await conversation.signal(ConversationWorkflow.customer_replied, message)
        outcome = await handle.result()

    assert outcome.conversation_status is ConversationStatus.closed
    with Session(engine) as session:
        senders = session.exec(
            select(TimelineEntry.sender)
            .where(col(TimelineEntry.conversation_id) == f"conversation:{handle.id}", col(TimelineEntry.tool).is_(None))
            .order_by(col(TimelineEntry.at))
        ).all()
    assert senders == [Sender.customer, Sender.ai, Sender.system]  # one message, one answer, then quiet
