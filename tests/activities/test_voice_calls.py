"""Calls through the real `twilio` SDK against a server speaking Twilio's API: the script is spoken in the
location's voice with its links texted instead of read aloud, status callbacks are asked for, and each call and
message is placed exactly once whatever Twilio answers."""

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels.voice import VoiceActivities
from activities.db import DbActivities
from models.messages import CallRequest, Channel, DeliveryStatus
from models.tables import Delivery, TimelineEntry
from providers.twilio import TwilioVoice
from tests.factories import LOCATION_ID, proposal
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, Answer, FakeTwilio, fake_twilio

PUBLIC = "https://outreach.example.com"
SCRIPT = "Hello {{first_name}}, your invoice is overdue. You can pay it at https://pay.example.com/inv/1 today."


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as server:
        yield server


def setup(engine: Engine, fake: FakeTwilio) -> tuple[VoiceActivities, CallRequest]:
    change = proposal(engine)
    ActivityEnvironment().run(DbActivities(engine).record_proposal, change)
    call = CallRequest(delivery_id=str(uuid.uuid4()), action_id=change.record.action_id, location_id=LOCATION_ID,
                       customer_id="cust-1", voice_script=SCRIPT)  # fmt: skip
    return VoiceActivities(engine, TwilioVoice(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC, fake.base_url)), call


def deliveries(engine: Engine) -> dict[Channel, Delivery]:
    with Session(engine) as session:
        return {row.channel: row for row in session.exec(select(Delivery)).all()}


def place(activities: VoiceActivities, call: CallRequest) -> ApplicationError | None:
    try:
        ActivityEnvironment().run(activities.place_call, call)
    except ApplicationError as error:
        return error
    return None


def test_the_call_speaks_the_script_and_texts_its_link(engine: Engine, fake: FakeTwilio) -> None:
    activities, call = setup(engine, fake)
    result = ActivityEnvironment().run(activities.place_call, call)
    [placed], [text] = fake.calls, fake.messages
    assert (placed["to"], placed["from"]) == ("+31612345678", FROM_NUMBER)
    # Twilio asks our TwiML endpoint what to do once it knows who answered (the script is the delivery's).
    assert (placed["url"], placed["machine_detection"]) == (
        f"{PUBLIC}/webhooks/twilio/calls/{call.delivery_id}/twiml",
        "DetectMessageEnd",
    )
    assert placed["status_callback"] == f"{PUBLIC}/webhooks/twilio/calls/{call.delivery_id}"
    assert placed["status_callback_event"] == ["initiated", "ringing", "answered", "completed"]
    assert text["body"] == f"Test Space {LOCATION_ID}: the link from our call: https://pay.example.com/inv/1"
    rows = deliveries(engine)
    assert rows[Channel.voice].body_html == (
        "<p>Hello Ada, your invoice is overdue. You can pay it at the link today. I have sent you the link by text "
        "message.</p>"
    )
    assert (rows[Channel.voice].provider_message_id, rows[Channel.voice].status) == (placed["sid"], DeliveryStatus.sent)
    assert (rows[Channel.sms].provider_message_id, rows[Channel.sms].status) == (text["sid"], DeliveryStatus.sent)
    assert text["status_callback"] == f"{PUBLIC}/webhooks/twilio/messages/{rows[Channel.sms].id}"
    assert result.delivery_id == call.delivery_id
    # A retry of the whole step places nothing again.
    assert place(activities, call) is None and fake.creates == 2
    with Session(engine) as session:
        assert len(session.exec(select(TimelineEntry)).all()) == 3  # the proposal, the call, the text


def test_a_number_twilio_refuses_fails_for_good_in_its_words(engine: Engine, fake: FakeTwilio) -> None:
    activities, call = setup(engine, fake)
    fake.script = [Answer(status=400)]
    error = place(activities, call)
    assert error is not None and error.non_retryable and error.type == "DeliveryRefused"
    assert "The 'To' number +31612345678 is not a valid phone number." in error.message
    assert deliveries(engine)[Channel.voice].status is DeliveryStatus.failed and fake.messages == []


def test_an_outage_retries_and_calls_once(engine: Engine, fake: FakeTwilio) -> None:
    activities, call = setup(engine, fake)
    fake.script = [Answer(status=503)]
    error = place(activities, call)
    assert error is not None and not error.non_retryable and error.type == "ProviderUnavailable"
    assert place(activities, call) is None
    assert (len(fake.calls), len(fake.messages)) == (1, 1)


def test_a_dropped_connection_finds_the_call_twilio_placed_instead_of_calling_twice(
    engine: Engine, fake: FakeTwilio
) -> None:
    activities, call = setup(engine, fake)
    fake.script = [Answer(drop=True)]
    error = place(activities, call)
    assert error is not None and not error.non_retryable and error.type == "DeliveryAmbiguous"
    assert place(activities, call) is None
    [placed] = fake.calls
    assert deliveries(engine)[Channel.voice].provider_message_id == placed["sid"]
    assert fake.creates == 2  # the call once, then its text message
