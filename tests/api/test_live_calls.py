"""A live call, end to end, with Twilio's API played by the fake server (the call placed and the texts sent
through the real SDK) and the call itself by the call simulator — the client that speaks Twilio
ConversationRelay's protocol to our WebSocket as Twilio does, its handshake signed with the auth token. The
renewal journey by voice: the customer asks about private offices (the offices and prices said, the viewing link
texted through Twilio), talks over an answer (only what was said is kept), and asks to work something out
(escalated: a ticket with the call's transcript, and the call ends). A call dropped mid-answer leaves a consistent
transcript, a call whose outreach no longer waits for it is ended politely; 0 on the keypad asks for a person.

Each call connects to a session address of its own, which our TwiML hands Twilio when the customer answers. As an
attacker who saw a handshake would: a forged signature, the address altered to name another call, an expired
address, a call SID that is not the delivery's, a call that already ended — each refused before the socket is
accepted (1008 before accepting: the handshake is answered 403); a `setup` naming another outreach or call than
its address — closed with 1008."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType

from api.webhooks.relay import CallConnection, connection
from call_simulator import RelayCall, connection_in
from domain.ids import conversation_id
from models.tables import Delivery, Ticket, TicketComment

# The stack's Twilio is the fake server, as for the calls the voice channel places.
from tests.api.test_voice_channel import PUBLIC, callable_proposal, settings, twilio  # noqa: F401 (fixtures)
from tests.conftest import Stack, poll
from tests.fakes.twilio_server import AUTH_TOKEN, FakeTwilio

# What it tests is the live call's WebSocket, not the database: SQLite in `make test` (see the marker).
pytestmark = pytest.mark.one_database


async def live_call(stack: Stack, twilio: FakeTwilio, agent_type: str | None = None) -> dict[str, Any]:  # noqa: F811
    """A voice outreach approved and placed through Twilio; its call's `sid`, `delivery` and `connect`ion as our
    TwiML hands them to Twilio when the customer answers."""
    action = await callable_proposal(stack, agent_type)
    assert (await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "voice"})).status_code == 200

    async def placed() -> dict[str, Any] | None:
        if (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] != "sent":
            return None
        with Session(stack.engine) as session:
            delivery = session.exec(select(Delivery).where(col(Delivery.proposed_action_id) == action["id"],
                                                           col(Delivery.channel) == "voice")).one()  # fmt: skip
        return next(call for call in twilio.calls if call["sid"] == delivery.provider_message_id)

    placed_call = await poll(placed, "the call to be placed")
    url, params, headers = twilio.answered(placed_call, "human")
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as twilio_posts:
        twiml = (await twilio_posts.post(urlsplit(url).path, data=params, headers=headers)).text
    delivery_id = urlsplit(url).path.split("/")[-2]
    return {**action, "sid": placed_call["sid"], "delivery": delivery_id, "connect": connection_in(twiml)}


def call(stack: Stack, connect: CallConnection, call_sid: str, key: str = AUTH_TOKEN, **setup: str) -> RelayCall:
    """The call Twilio connects to our WebSocket: signed over the public URL, which the proxy forwards here, its
    `setup` with the parameters the TwiML gave (unless `setup` says otherwise)."""
    local = connect.url.replace(PUBLIC.replace("https", "wss"), str(stack.http.base_url).replace("http", "ws", 1))
    return RelayCall(local, key, call_sid, {**connect.parameters, **setup}, signed_as=connect.url)


async def conversation(stack: Stack, action: dict[str, Any], status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        found = await stack.http.get(f"/api/conversations/{conversation_id(action['id'])}")
        return found.json() if found.status_code == 200 and found.json()["status"] == status else None

    return await poll(reached, f"the call's conversation to be {status}")


async def test_the_renewal_call_turns_into_offices_then_a_negotiation_for_the_team(
    stack: Stack,
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    action = await live_call(stack, twilio, "contract_renewal")
    async with call(stack, action["connect"], action["sid"]) as line:
        offices = await line.say("I've been thinking about switching to a private office. What options do you have?")
        assert "a month" in offices.text and "dollars" in offices.text and "$" not in offices.text
        assert "http" not in offices.text and offices.text.endswith("I have sent you the link by text message.")
        assert len(offices.tokens) > 10 and offices.first_token_after > 0  # streamed word by word

        # The customer talks over the next answer: only what the voice had said is kept.
        guests = await line.say("Can I bring guests to the space?")
        assert "Register guests in the portal" in guests.text
        said_until = " ".join(guests.text.split()[:4])
        await line.interrupt(said_until)

        handed = await line.say("Those prices are higher than I expected. Can we work something out?")
        assert "follow up by email" in handed.text
        end = await line.ended()
        assert end is not None and '"reason": "escalated"' in end["handoffData"]

    detail = await conversation(stack, action, "escalated")
    assert detail["channel"] == "voice"
    spoken = [(entry["sender"], entry["body"]) for entry in detail["timeline"]
              if entry["channel"] == "voice" and entry["tool"] is None and not entry["source"]]  # fmt: skip
    assert spoken[0] == (
        "customer",
        "I've been thinking about switching to a private office. What options do you have?",
    )
    assert spoken[1] == ("ai", offices.text)
    assert spoken[3] == ("ai", f"{said_until} [the customer talked over the rest]")
    assert spoken[-1] == ("ai", handed.text)
    tools = [entry["tool"] for entry in detail["timeline"] if entry["tool"]]
    assert tools[:2] == ["plans_and_prices", "portal_link"]
    # The viewing link went by text message, through Twilio, while the customer was on the line.
    [texted] = [text for text in twilio.messages if "/book?" in text["body"]]
    assert texted["to"] == twilio.calls[0]["to"]
    with Session(stack.engine) as session:
        texts = session.exec(select(Delivery).where(col(Delivery.conversation_id) == conversation_id(action["id"]),
                                                    col(Delivery.channel) == "sms")).all()  # fmt: skip
        assert [text.provider_message_id for text in texts] == [texted["sid"]]
        [ticket] = session.exec(
            select(Ticket).where(col(Ticket.conversation_id) == conversation_id(action["id"]))
        ).all()
        brief = session.exec(select(TicketComment).where(col(TicketComment.ticket_id) == ticket.id,
                                                         col(TicketComment.public).is_(False))).one()  # fmt: skip
    assert "Transcript</strong> (voice)" in brief.body_html and "work something out" in brief.body_html
    assert "Looked up the plans and prices:" in brief.body_html

    # Every turn is an update in the conversation's history, every tool and text an activity.
    history = await stack.client.get_workflow_handle(conversation_id(action["id"])).fetch_history()
    updates = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    activities = [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                  if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]  # fmt: skip
    assert len(updates) == 3 and "text_links" in activities and "escalate" in activities


async def test_a_dropped_call_keeps_a_consistent_transcript(stack: Stack, twilio: FakeTwilio) -> None:  # noqa: F811
    action = await live_call(stack, twilio)
    async with call(stack, action["connect"], action["sid"]) as line:
        answer = await line.say("Are you a real person or a bot?")
        assert "AI assistant" in answer.text
    # Hung up while the answer was said: it is on the timeline, marked so, and the conversation is closed.
    detail = await conversation(stack, action, "closed")
    bodies = [entry["body"] for entry in detail["timeline"]]
    assert f"{answer.text} [the call ended while this was said]" in bodies
    assert "Closed: the call ended (hang-up)." in bodies
    # The conversation is over, so the call is: its session is no more, however valid its address.
    async with call(stack, action["connect"], action["sid"]) as again:
        assert again.refused == 403


async def test_a_call_whose_outreach_no_longer_waits_is_ended_politely(stack: Stack, twilio: FakeTwilio) -> None:  # noqa: F811
    action = await live_call(stack, twilio)
    await stack.client.get_workflow_handle(action["id"]).terminate("an engineer stopped it")
    async with call(stack, action["connect"], action["sid"]) as line:
        assert "I can't continue this call" in (await line.hear()).text
        assert await line.ended() == {"type": "end", "handoffData": '{"reason": "not live"}'}


async def test_a_session_is_its_own_calls_and_only_while_it_goes_on(stack: Stack, twilio: FakeTwilio) -> None:  # noqa: F811
    mine, theirs = await live_call(stack, twilio), await live_call(stack, twilio)
    connect, sid = mine["connect"], mine["sid"]
    other = CallConnection(connect.url.replace(mine["delivery"], theirs["delivery"]).replace(sid, theirs["sid"]),
                           theirs["connect"].parameters)  # fmt: skip
    with Session(stack.engine) as session:
        delivery = session.get(Delivery, mine["delivery"])
    assert delivery is not None
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    refused_handshakes = {
        # Whoever saw this call's handshake cannot forge its signature,
        "a forged signature": call(stack, connect, sid, key="not-the-auth-token"),
        # nor point it at another customer's call (the signatures are over the address),
        "another call's address": call(stack, other, theirs["sid"]),
        # nor use one we made minutes ago, or one naming a call SID that is not the delivery's.
        "an expired address": call(stack, connection(PUBLIC, AUTH_TOKEN, delivery, sid, long_ago), sid),
        "another call SID": call(
            stack, connection(PUBLIC, AUTH_TOKEN, delivery, theirs["sid"], datetime.now(UTC)), theirs["sid"]
        ),
    }
    for what, handshake in refused_handshakes.items():
        async with handshake as line:
            assert line.refused == 403 and line.closed_with is None, what
    # A genuine session whose setup names another outreach, another delivery or another call is closed.
    for setup_sid, setup in ((sid, {"action_id": theirs["id"]}), (sid, {"delivery_id": theirs["delivery"]}),
                             (theirs["sid"], {})):  # fmt: skip
        async with call(stack, connect, setup_sid, **setup) as line:
            assert await line.ended() is None and line.closed_with == 1008, setup or setup_sid
    # Twilio reports the call completed: its session is over, even at a fresh address.
    [placed] = [found for found in twilio.calls if found["sid"] == sid]
    url, params, headers = twilio.callback(placed, "completed", CallDuration="42")
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as twilio_posts:
        assert (await twilio_posts.post(urlsplit(url).path, data=params, headers=headers)).status_code == 204
    async with call(stack, connection(PUBLIC, AUTH_TOKEN, delivery, sid, datetime.now(UTC)), sid) as line:
        assert line.refused == 403
    # The other customer's call, untouched by all this, goes on.
    async with call(stack, theirs["connect"], theirs["sid"]) as line:
        assert "AI assistant" in (await line.say("Are you a real person or a bot?")).text


async def test_a_message_that_is_not_json_is_passed_over_and_the_call_goes_on(
    stack: Stack,
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    action = await live_call(stack, twilio)
    async with call(stack, action["connect"], action["sid"]) as line:
        assert line._socket is not None
        for garbled in ("{not json", b"\x00\xff", "[1, 2]", '"just a string"'):
            await line._socket.send(garbled)
        assert "AI assistant" in (await line.say("Are you a real person or a bot?")).text
        assert line.closed_with is None


async def test_zero_on_the_keypad_asks_for_a_person(stack: Stack, twilio: FakeTwilio) -> None:  # noqa: F811
    action = await live_call(stack, twilio)
    async with call(stack, action["connect"], action["sid"]) as line:
        handed = await line.press("0")
        assert "follow up by email" in handed.text
        assert (await line.ended()) is not None
    detail = await conversation(stack, action, "escalated")
    assert ("customer", "I'd like to talk to a person, please.") in [
        (e["sender"], e["body"]) for e in detail["timeline"]
    ]
