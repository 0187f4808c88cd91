"""A call end to end through Twilio's API: an operator approves a proposal as a call whose script holds a link;
the call and the text message with the link both go out, both show on the timeline with their source, and when
nobody answers, Twilio's signed callback fails the proposal saying so. Once answered, Twilio asks our TwiML: a
person is connected to the AI (ConversationRelay, the script as its greeting), a machine hears the script alone."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from models.db import session_scope
from models.messages import AgentType
from models.tables import Location
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, poll
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio

# What it tests is Twilio's REST API and its callbacks, not the database: SQLite in `make test` (see the marker).
pytestmark = pytest.mark.one_database

PUBLIC = "https://outreach.example.com"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, database_url: str, twilio: FakeTwilio) -> Settings:
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, public_base_url=PUBLIC,
                    twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from_number=FROM_NUMBER,
                    twilio_api_url=twilio.base_url, reply_token_secret=REPLY_SECRET,
                    portal_link_secret=PORTAL_SECRET)  # fmt: skip


async def callable_proposal(stack: Stack, agent_type: str | None = None) -> dict[str, Any]:
    """A pending proposal at atx (voice enabled, of `agent_type` if given) whose customer has a valid mobile
    number."""
    with session_scope(stack.engine) as session:
        location = session.get(Location, "atx")
        assert location is not None
        location.business_hours = {}  # open all the time: the call goes out now, whatever the hour of the test
    await stack.detect("atx", only=AgentType(agent_type) if agent_type else None)

    async def callable_ones() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"location_id": "atx", "status": "pending", "page_size": 200,
                                        **({"agent_type": agent_type} if agent_type else {})}  # fmt: skip
        for item in (await stack.http.get("/api/inbox", params=params)).json()["items"]:
            detail = (await stack.http.get(f"/api/inbox/{item['id']}")).json()
            voice = next(option for option in detail["channel_options"] if option["channel"] == "voice")
            if voice["available"]:
                return [detail]
        return None

    [detail] = await poll(callable_ones, "a proposal that can be a call")
    return detail


async def test_a_call_and_its_text_go_out_and_an_unanswered_call_fails_the_proposal(
    stack: Stack, twilio: FakeTwilio
) -> None:
    action = await callable_proposal(stack)
    voice = next(option for option in action["channel_options"] if option["channel"] == "voice")
    assert voice["warning"].startswith("Voice messages are only sent during business hours.")
    script = "Hello {{first_name}}, your invoice is overdue; you can pay it at https://pay.example/inv today."
    answer = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "voice",
                                                                               "voice_script": script})  # fmt: skip
    assert answer.status_code == 200, answer.text

    async def sent() -> dict[str, Any] | None:
        detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
        return detail if detail["status"] == "sent" else None

    detail = await poll(sent, "the call to be placed")
    [call], [text] = twilio.calls, twilio.messages
    assert "https://pay.example/inv" in text["body"]
    sources = {item["channel"]: item["source"] for item in detail["timeline"] if item["source"]}
    assert (sources["voice"]["provider"], sources["voice"]["provider_id"]) == ("twilio", call["sid"])
    assert (sources["sms"]["provider"], sources["sms"]["provider_id"]) == ("twilio", text["sid"])

    url, params, headers = twilio.callback(call, "no-answer")
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as twilio_posts:
        assert (await twilio_posts.post(urlsplit(url).path, data=params, headers=headers)).status_code == 204

    async def failed() -> dict[str, Any] | None:
        detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
        return detail if detail["status"] == "failed" else None

    detail = await poll(failed, "the unanswered call to fail the proposal")
    assert f"Delivery failed: Nobody answered the call to {call['to']}." in [
        item["body"] for item in detail["timeline"]
    ]


async def test_a_person_gets_the_ai_on_the_line_and_a_machine_the_message_alone(
    stack: Stack, twilio: FakeTwilio
) -> None:
    action = await callable_proposal(stack)
    script = "Hello {{first_name}}, your invoice is overdue; you can pay it at https://pay.example/inv today."
    answer = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "voice",
                                                                               "voice_script": script})  # fmt: skip
    assert answer.status_code == 200, answer.text
    [call] = await poll(lambda: _calls(twilio), "the call to be placed")
    first = action["customer"]["name"].split()[0]
    said = f"Hello {first}, your invoice is overdue; you can pay it at the link today. I have sent you the link by"
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as twilio_posts:
        url, params, headers = twilio.answered(call, "human")
        person = await twilio_posts.post(urlsplit(url).path, data=params, headers=headers)
        assert person.status_code == 200 and person.headers["content-type"] == "application/xml"
        relay = person.text
        # The call's own session: its delivery and call SID in the address, which expires in minutes.
        delivery_id = urlsplit(url).path.split("/")[-2]
        assert f'url="wss://outreach.example.com/webhooks/twilio/relay/{delivery_id}/{call["sid"]}/' in relay
        assert f'welcomeGreeting="{said} text message."' in relay and "pay.example" not in relay
        assert f'<Parameter name="action_id" value="{action["id"]}" />' in relay
        assert f'<Parameter name="delivery_id" value="{delivery_id}" />' in relay
        assert f'<Connect action="{PUBLIC}/webhooks/twilio/calls/' in relay

        url, params, headers = twilio.answered(call, "machine_end_beep")
        machine = await twilio_posts.post(urlsplit(url).path, data=params, headers=headers)
        assert "<Say " in machine.text and f"{said} text message.</Say><Hangup /></Response>" in machine.text
        forged = await twilio_posts.post(urlsplit(url).path, data={**params, "AnsweredBy": "human"}, headers=headers)
        assert forged.status_code == 403

    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert "Reached voicemail: left the call's message (without links; those went by text message)." in [
        item["body"] for item in detail["timeline"]
    ]


async def _calls(twilio: FakeTwilio) -> list[dict[str, Any]] | None:
    return list(twilio.calls) or None
