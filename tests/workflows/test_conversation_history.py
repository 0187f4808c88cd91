"""A long conversation continues as new to keep its history small, and loses nothing by it: the transcript the AI
reads, the messages it already took, and what the customer asked before."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import ActivityEnvironment

from activities.db import DbActivities
from models.messages import Channel, ConversationInput, ConversationStatus, CustomerMessage, Sender
from models.tables import TimelineEntry
from settings import Settings
from tests.conftest import poll, start_dev_server, worker_for
from tests.factories import LOCATION_ID, proposal
from workflows.conversation import ConversationWorkflow

# A server that suggests continuing as new after a few dozen events: a few turns, instead of thousands.
SUGGEST_AFTER_EVENTS = 30


@pytest.fixture
async def short_histories() -> AsyncIterator[Client]:
    env = await start_dev_server(
        "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER_EVENTS}"
    )
    yield env.client
    await env.shutdown()


def said(body: str) -> CustomerMessage:
    return CustomerMessage(id=str(uuid.uuid4()), channel=Channel.ai_email, body=body, received_at=datetime.now(UTC))


def entries(engine: Engine, conversation_id: str, sender: Sender) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(TimelineEntry.body).where(
            col(TimelineEntry.conversation_id) == conversation_id, col(TimelineEntry.sender) == sender,
            col(TimelineEntry.tool).is_(None)).order_by(col(TimelineEntry.at))).all())  # fmt: skip


async def answered(handle: WorkflowHandle[ConversationWorkflow, ConversationStatus], engine: Engine,
                   message: CustomerMessage, answers: int) -> None:  # fmt: skip
    await handle.signal(ConversationWorkflow.customer_replied, message)

    async def done() -> bool:
        return len(entries(engine, handle.id, Sender.ai)) >= answers

    await poll(done, f"answer {answers}")


async def test_continuing_as_new_keeps_the_whole_conversation(
    short_histories: Client, engine: Engine, settings: Settings
) -> None:
    change = proposal(engine)
    ActivityEnvironment().run(DbActivities(engine).record_proposal, change)
    action_id = change.record.action_id
    conversation = ConversationInput(conversation_id=f"conversation:{action_id}", action_id=action_id,
                                     location_id=LOCATION_ID, customer_id="cust-1", channel=Channel.ai_email,
                                     subject="Reminder", idle_timeout=timedelta(days=7))  # fmt: skip
    first = said("Could you send me the payment link again?")
    async with worker_for(short_histories, engine, settings) as worker:
        handle = await short_histories.start_workflow(
            ConversationWorkflow.run, conversation, id=conversation.conversation_id, task_queue=worker.task_queue
        )
        first_run = handle.result_run_id
        await answered(handle, engine, first, 1)
        await answered(handle, engine, said("hmm ok"), 2)
        await answered(handle, engine, said("???"), 3)

        async def continued() -> bool:
            return (await handle.describe()).run_id != first_run

        await poll(continued, "the conversation to continue as new")
        # The same mail routed again after the new run began is still known: it is not answered twice.
        await handle.signal(ConversationWorkflow.customer_replied, first)
        # The question asked before the new run, asked again: the AI read the whole transcript and hands over.
        await answered(handle, engine, said("Could you send me the payment link again?"), 4)
        assert await handle.result() is ConversationStatus.escalated

    customer = entries(engine, handle.id, Sender.customer)
    assert customer == ["Could you send me the payment link again?", "hmm ok", "???",
                        "Could you send me the payment link again?"]  # fmt: skip
    answers = entries(engine, handle.id, Sender.ai)
    assert len(answers) == 4 and "passed it to our team" in answers[-1]
