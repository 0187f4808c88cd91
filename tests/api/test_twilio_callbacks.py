"""Twilio's status callbacks, signed over our public URL: a call's progress and a text message's fate land on the
delivery and the timeline once each; a forged or unsigned callback is a 403 and changes nothing."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment
from twilio.request_validator import RequestValidator

from activities.channels.voice import VoiceActivities
from activities.db import DbActivities
from api.main import create_app
from models.messages import CallRequest, Channel, DeliveryStatus
from models.tables import Customer, Delivery, ProviderEvent, TimelineEntry
from providers.twilio import TwilioVoice
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET
from tests.factories import LOCATION_ID, proposal
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio

PUBLIC = "https://outreach.example.com"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as server:
        yield server


@pytest.fixture
async def twilio(
    tmp_path: Path, database_url: str, engine: Engine, temporal: Client
) -> AsyncIterator[httpx.AsyncClient]:
    """The API as Twilio reaches it: no operator token, only signatures."""
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, public_base_url=PUBLIC,
                        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                        twilio_from_number=FROM_NUMBER, reply_token_secret=REPLY_SECRET,
                        portal_link_secret=PORTAL_SECRET)  # fmt: skip
    app = create_app(settings, engine, temporal)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url=PUBLIC) as http:  # fmt: skip
        yield http


def placed_call(engine: Engine, fake: FakeTwilio) -> tuple[dict[str, Any], dict[str, Any]]:
    change = proposal(engine)
    ActivityEnvironment().run(DbActivities(engine).record_proposal, change)
    call = CallRequest(delivery_id=str(uuid.uuid4()), action_id=change.record.action_id, location_id=LOCATION_ID,
                       customer_id="cust-1", voice_script="Please pay at https://pay.example.com/inv/1.")  # fmt: skip
    provider = TwilioVoice(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC, fake.base_url)
    ActivityEnvironment().run(VoiceActivities(engine, provider).place_call, call)
    [placed], [text] = fake.calls, fake.messages
    return placed, text


async def post(http: httpx.AsyncClient, url: str, params: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    return await http.post(urlsplit(url).path, data=params, headers=headers)


def delivery(engine: Engine, channel: Channel) -> Delivery:
    with Session(engine) as session:
        return session.exec(select(Delivery).where(Delivery.channel == channel)).one()


def timeline(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [entry.body for entry in session.exec(select(TimelineEntry).order_by(col(TimelineEntry.at))).all()]


async def test_a_calls_progress_lands_on_the_timeline_once(
    engine: Engine, fake: FakeTwilio, twilio: httpx.AsyncClient
) -> None:
    placed, _ = placed_call(engine, fake)
    for state, extra in (
        ("initiated", {}),
        ("ringing", {}),
        ("in-progress", {}),
        ("completed", {"CallDuration": "42"}),
    ):
        callback = fake.callback(placed, state, **extra)
        assert (await post(twilio, *callback)).status_code == 204
        assert (await post(twilio, *callback)).status_code == 204  # Twilio retrying: applied once
    assert delivery(engine, Channel.voice).status is DeliveryStatus.delivered
    notes = timeline(engine)
    for note in ("Calling +31612345678.", "Ringing.", "The customer answered.", "The call ended after 42 seconds."):
        assert notes.count(note) == 1


async def test_an_unanswered_call_and_an_undelivered_text_say_so(
    engine: Engine, fake: FakeTwilio, twilio: httpx.AsyncClient
) -> None:
    placed, text = placed_call(engine, fake)
    assert (await post(twilio, *fake.callback(placed, "no-answer"))).status_code == 204
    assert (await post(twilio, *fake.callback(text, "undelivered", ErrorCode="30003"))).status_code == 204
    call, sms = delivery(engine, Channel.voice), delivery(engine, Channel.sms)
    assert (call.status, call.status_detail) == (DeliveryStatus.failed, "Nobody answered the call to +31612345678.")
    assert sms.status is DeliveryStatus.failed
    assert "The text message to +31612345678 was not delivered (Twilio error 30003)." in timeline(engine)


async def test_forged_and_unsigned_callbacks_are_refused_and_change_nothing(
    engine: Engine, fake: FakeTwilio, twilio: httpx.AsyncClient
) -> None:
    placed, _ = placed_call(engine, fake)
    url, params, headers = fake.callback(placed, "no-answer")
    for attempt_params, attempt_headers in (
        (params, {**headers, "X-Twilio-Signature": "forged"}),
        ({**params, "CallStatus": "completed"}, headers),  # a genuine signature over other parameters
        (params, {key: value for key, value in headers.items() if key != "X-Twilio-Signature"}),
    ):
        answer = await post(twilio, url, attempt_params, attempt_headers)
        assert answer.status_code == 403
        assert answer.json()["detail"] == "The Twilio signature does not match the request."
    # Signed for another address than ours (say, a copy sent to this host under another name).
    other = url.replace(PUBLIC, "https://elsewhere.example.com")
    signed_elsewhere = fake.callback({**placed, "status_callback": other}, "no-answer")
    assert (await post(twilio, *signed_elsewhere)).status_code == 403
    assert delivery(engine, Channel.voice).status is DeliveryStatus.sent
    with Session(engine) as session:
        assert session.exec(select(ProviderEvent)).all() == []


def texted(body: str, sender: str = "+31612345678") -> tuple[str, dict[str, str], dict[str, str]]:
    """A text message to our number, as Twilio posts it: signed over our public URL."""
    url = f"{PUBLIC}/webhooks/twilio/sms"
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "To": FROM_NUMBER,
              "Body": body}  # fmt: skip
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, params)}
    return url, params, headers


def opted_out(engine: Engine) -> bool:
    with Session(engine) as session:
        customer = session.get(Customer, "cust-1")
        return customer is not None and customer.opted_out


async def test_a_text_stop_opts_out_and_other_texts_reach_the_team(
    engine: Engine, fake: FakeTwilio, twilio: httpx.AsyncClient
) -> None:
    placed_call(engine, fake)
    question = await post(twilio, *texted("Is this about the October invoice?"))
    assert question.status_code == 200 and "<Message>" not in question.text
    assert "Is this about the October invoice?" in timeline(engine) and not opted_out(engine)

    forged_url, forged_params, _ = texted("STOP")
    assert (await post(twilio, forged_url, forged_params, {"X-Twilio-Signature": "forged"})).status_code == 403
    assert not opted_out(engine)

    stop = await post(twilio, *texted("STOP"))  # the carrier confirms a keyword itself: we add nothing
    assert stop.status_code == 200 and stop.headers["content-type"].startswith("application/xml")
    assert "<Message>" not in stop.text and opted_out(engine)
    assert "STOP\n(Opted out by text message.)" in timeline(engine)


async def test_an_opt_out_in_words_by_text_is_answered_in_one_sentence(
    engine: Engine, fake: FakeTwilio, twilio: httpx.AsyncClient
) -> None:
    placed_call(engine, fake)
    answer = await post(twilio, *texted("Please stop texting me"))
    assert answer.status_code == 200 and opted_out(engine)
    assert "<Message>You won't hear from Test Space loc-test again. Sorry for the bother.</Message>" in answer.text


async def test_a_signed_callback_with_nul_characters_is_read_without_them(
    twilio: httpx.AsyncClient, engine: Engine, fake: FakeTwilio
) -> None:
    """Found by the fuzz run, on PostgreSQL (whose text refuses NUL): a signed form holding one answered 500."""
    placed, _ = placed_call(engine, fake)
    url, params, headers = fake.callback(placed, "ringing")
    params = {**params, "CallSid": "\x00"}
    # Without Twilio's idempotency token the event is known by its call SID, NUL and all.
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, params)}
    answer = await post(twilio, url, params, headers)
    assert answer.status_code < 500, answer.text
