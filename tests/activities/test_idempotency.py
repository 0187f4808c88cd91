"""Retried activities (a worker crash, a timeout) never duplicate a message or a timeline entry."""

import uuid

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels.email import EmailActivities
from activities.db import DbActivities
from models.messages import (
    ActionStatus,
    Channel,
    EmailMessage,
    ProposalRecord,
    StatusChange,
)
from models.tables import Delivery, ProposedAction, TimelineEntry
from providers.email import SandboxEmail
from settings import Settings
from tests.factories import BASE_URL, LOCATION_ID, MAILBOXES, REPLIES, add_customer, proposal


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_recording_twice_keeps_one_row_and_one_entry(engine: Engine) -> None:
    change = proposal(engine)
    db = DbActivities(engine)
    env = ActivityEnvironment()
    env.run(db.record_proposal, change)
    env.run(db.record_proposal, change)
    assert (count(engine, ProposedAction), count(engine, TimelineEntry)) == (1, 1)


def test_later_records_carry_only_the_state_and_keep_pattern_and_draft(engine: Engine) -> None:
    change = proposal(engine)
    record = DbActivities(engine).record_proposal
    env = ActivityEnvironment()
    env.run(record, change)
    state = change.record.state.model_copy(update={"status": ActionStatus.approved, "draft": None})
    env.run(
        record,
        StatusChange(
            record=ProposalRecord(action_id=change.record.action_id, state=state),
            entry=change.entry.model_copy(update={"id": "entry-2", "body": "Approved."}),
        ),
    )
    with Session(engine) as session:
        row = session.get(ProposedAction, change.record.action_id)
    assert row is not None and change.record.pattern is not None
    assert (row.status, row.body_html, row.reason) == (ActionStatus.approved, "<p>B</p>", change.record.pattern.reason)
    assert count(engine, TimelineEntry) == 2


def test_a_first_record_without_pattern_or_draft_fails_permanently(engine: Engine) -> None:
    change = proposal(engine)
    incomplete = change.model_copy(update={"record": change.record.model_copy(update={"pattern": None})})
    with pytest.raises(ApplicationError, match="must carry its pattern and draft") as raised:
        ActivityEnvironment().run(DbActivities(engine).record_proposal, incomplete)
    assert raised.value.non_retryable
    assert count(engine, ProposedAction) == 0


def test_a_retried_send_returns_the_first_delivery(engine: Engine, settings: Settings) -> None:
    change = proposal(engine)
    env = ActivityEnvironment()
    env.run(DbActivities(engine).record_proposal, change)
    email = EmailActivities(engine, SandboxEmail(), REPLIES, MAILBOXES, BASE_URL)
    message = EmailMessage(
        delivery_id=str(uuid.uuid4()),
        action_id=change.record.action_id,
        location_id=LOCATION_ID,
        customer_id="cust-1",
        channel=Channel.ai_email,
        subject="Reminder",
        body_html="<p>Hi <script>x</script>Ada</p>",
    )
    first = env.run(email.send_email, message)
    second = env.run(email.send_email, message)
    assert first == second
    assert count(engine, Delivery) == 1
    with Session(engine) as session:
        delivery = session.exec(select(Delivery)).one()
    assert delivery.body_html == "<p>Hi Ada</p>"
    assert delivery.message_id == first.message_id


def test_a_customer_without_email_fails_permanently_with_a_reason(engine: Engine, settings: Settings) -> None:
    change = proposal(engine)
    env = ActivityEnvironment()
    env.run(DbActivities(engine).record_proposal, change)
    add_customer(engine, "cust-2", name="No Mail", email=None)
    message = EmailMessage(
        delivery_id=str(uuid.uuid4()),
        action_id=change.record.action_id,
        location_id=LOCATION_ID,
        customer_id="cust-2",
        channel=Channel.ai_email,
        subject="Reminder",
        body_html="<p>Hi</p>",
    )
    with pytest.raises(ApplicationError) as raised:
        env.run(EmailActivities(engine, SandboxEmail(), REPLIES, MAILBOXES, BASE_URL).send_email, message)
    assert raised.value.type == "NoRecipient"
    assert raised.value.non_retryable
    assert count(engine, Delivery) == 0
