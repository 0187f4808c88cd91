"""The AI email through the real `sendgrid` SDK against a server speaking SendGrid's API: what goes out, and
exactly once whatever the provider answers — a refusal fails for good, an outage retries, a dropped connection
is confirmed by SendGrid's own events and never sent blindly again."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels.email import EmailActivities
from activities.db import DbActivities
from domain import reply_tokens
from inbound import delivery_events
from models.db import session_scope
from models.messages import Channel, DeliveryStatus, EmailMessage
from models.tables import Delivery, TimelineEntry
from providers.sendgrid import SendGridEmail
from tests.factories import BASE_URL, LOCATION_ID, MAILBOXES, REPLIES, proposal
from tests.fakes.sendgrid_server import API_KEY, Answer, FakeSendGrid, fake_sendgrid

# What it tests is SendGrid's Mail Send API, not the database: SQLite in `make test` (see the marker).
pytestmark = pytest.mark.one_database


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with fake_sendgrid() as server:
        yield server


def setup(engine: Engine, fake: FakeSendGrid) -> tuple[EmailActivities, EmailMessage]:
    change = proposal(engine)
    ActivityEnvironment().run(DbActivities(engine).record_proposal, change)
    message = EmailMessage(delivery_id=str(uuid.uuid4()), action_id=change.record.action_id, location_id=LOCATION_ID,
                           customer_id="cust-1", channel=Channel.ai_email, subject="Invoice {{first_name}}",
                           body_html="<p>Hi <script>x</script>Ada</p>")  # fmt: skip
    return EmailActivities(engine, SendGridEmail(API_KEY, fake.base_url), REPLIES, MAILBOXES, BASE_URL), message


def delivery(engine: Engine, delivery_id: str) -> Delivery:
    with Session(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def send(activities: EmailActivities, message: EmailMessage) -> ApplicationError | None:
    try:
        ActivityEnvironment().run(activities.send_email, message)
    except ApplicationError as error:
        return error
    return None


def test_the_email_carries_our_ids_a_signed_reply_address_and_quiets_robots(engine: Engine, fake: FakeSendGrid) -> None:
    activities, message = setup(engine, fake)
    result = ActivityEnvironment().run(activities.send_email, message)
    [mail] = fake.accepted
    row = delivery(engine, message.delivery_id)
    assert (row.status, row.provider, row.provider_message_id) == (
        DeliveryStatus.sent,
        "sendgrid",
        mail["x_message_id"],
    )
    assert result.message_id == row.message_id == mail["headers"]["Message-ID"]
    assert mail["headers"]["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert mail["custom_args"] == {"delivery_id": message.delivery_id, "action_id": message.action_id,
                                   "location_id": LOCATION_ID}  # fmt: skip
    assert mail["subject"] == "Invoice Ada"
    assert {part["type"]: part["value"] for part in mail["content"]} == {
        "text/plain": "Hi Ada",
        "text/html": "<p>Hi Ada</p>",
    }
    token = reply_tokens.token_in(mail["reply_to"]["email"])
    assert token is not None
    claims = reply_tokens.check(REPLIES.secret, token, LOCATION_ID, datetime.now(UTC))
    assert claims.delivery_id == message.delivery_id
    with Session(engine) as session:
        entry = session.get(TimelineEntry, f"delivery:{message.delivery_id}")
    assert entry is not None and entry.body == "Hi Ada"


def test_a_refusal_fails_for_good_with_sendgrids_reason(engine: Engine, fake: FakeSendGrid) -> None:
    activities, message = setup(engine, fake)
    fake.script = [Answer(status=400)]
    error = send(activities, message)
    assert error is not None and error.non_retryable and error.type == "DeliveryRefused"
    assert "Does not contain a valid address. (personalizations.0.to.0.email)" in error.message
    assert delivery(engine, message.delivery_id).status is DeliveryStatus.failed
    # A retry (a new run of the same step) does not call SendGrid again.
    assert send(activities, message) is not None and fake.requests == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_outage_retries_and_sends_once(engine: Engine, fake: FakeSendGrid, status: int) -> None:
    activities, message = setup(engine, fake)
    fake.script = [Answer(status=status)]
    error = send(activities, message)
    assert error is not None and not error.non_retryable and error.type == "ProviderUnavailable"
    with Session(engine) as session:
        assert session.get(Delivery, message.delivery_id) is None  # nothing went out: nothing to confirm
    assert send(activities, message) is None
    assert len(fake.accepted) == 1 and delivery(engine, message.delivery_id).status is DeliveryStatus.sent


async def test_a_dropped_connection_is_confirmed_by_sendgrids_event_never_resent(
    engine: Engine, fake: FakeSendGrid, temporal: Client
) -> None:
    activities, message = setup(engine, fake)
    fake.script = [Answer(drop=True)]
    error = send(activities, message)
    assert error is not None and not error.non_retryable and error.type == "DeliveryAmbiguous"
    assert delivery(engine, message.delivery_id).status is DeliveryStatus.sending
    # Retried before SendGrid reported anything: it waits, and asks nothing of the API that could send twice.
    error = send(activities, message)
    assert error is not None and not error.non_retryable and error.type == "AwaitingConfirmation"
    assert fake.requests == 1
    [mail] = fake.accepted
    event = delivery_events.from_sendgrid(fake.event(mail, "processed"))
    assert event is not None
    with Session(engine) as session:
        assert await delivery_events.apply(session, temporal, [event]) == 1
    assert send(activities, message) is None
    row = delivery(engine, message.delivery_id)
    assert (row.status, row.provider_message_id, fake.requests) == (DeliveryStatus.sent, mail["x_message_id"], 1)
    with Session(engine) as session:
        assert len(session.exec(select(TimelineEntry).where(TimelineEntry.delivery_id == row.id)).all()) == 1


def test_without_confirmation_in_time_the_delivery_is_unknown_for_a_person(engine: Engine, fake: FakeSendGrid) -> None:
    activities, message = setup(engine, fake)
    fake.script = [Answer(drop=True)]
    send(activities, message)
    with session_scope(engine) as session:
        row = session.get(Delivery, message.delivery_id)
        assert row is not None
        row.created_at = datetime.now(UTC) - timedelta(hours=1)
    error = send(activities, message)
    assert error is not None and error.non_retryable and error.type == "DeliveryUnknown"
    assert "check its activity feed before sending it again" in error.message
    row = delivery(engine, message.delivery_id)
    assert row.status is DeliveryStatus.unknown and fake.requests == 1
