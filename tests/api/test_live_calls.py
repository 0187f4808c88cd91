"""A live call, end to end, with Twilio's API played by the fake server (the call placed and the texts sent
through the real SDK) and the call itself by the call simulator — the client that speaks Twilio
ConversationRelay's protocol to our WebSocket as Twilio does, its handshake signed with the auth token. The
renewal journey by voice: the customer asks about private offices (the offices and prices said, the viewing link
texted through Twilio), talks over an answer (only what was said is kept), and asks to work something out
(escalated: a ticket with the call's transcript, and the call ends). A forged handshake is refused; a call dropped
mid-answer leaves a consistent transcript, a call naming no waiting outreach is ended politely; 0 on the keypad
asks for a person."""

from typing import Any

from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType

from api.webhooks.relay import relay_url
from call_simulator import RelayCall
from domain.ids import conversation_id
from models.tables import Delivery, Ticket, TicketComment
from settings import Settings

# The stack's Twilio is the fake server, as for the calls the voice channel places.
from tests.api.test_voice_channel import callable_proposal, settings, twilio  # noqa: F401 (fixtures)
from tests.conftest import Stack, poll
from tests.fakes.twilio_server import AUTH_TOKEN, FakeTwilio


async def live_call(stack: Stack, agent_type: str | None = None) -> dict[str, Any]:
    """A voice outreach approved and placed through Twilio."""
    action = await callable_proposal(stack, agent_type)
    assert (await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "voice"})).status_code == 200

    async def placed() -> bool:
        return (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "sent"

    await poll(placed, "the call to be placed")
    return action


def call(stack: Stack, settings: Settings, action: dict[str, Any], key: str = AUTH_TOKEN) -> RelayCall:  # noqa: F811
    """The call Twilio connects to our WebSocket: signed over the public URL, which the proxy forwards here."""
    local = str(stack.http.base_url).replace("http", "ws", 1).rstrip("/") + "/webhooks/twilio/relay"
    return RelayCall(local, key, action["id"], signed_as=relay_url(settings))


async def conversation(stack: Stack, action: dict[str, Any], status: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        found = await stack.http.get(f"/api/conversations/{conversation_id(action['id'])}")
        return found.json() if found.status_code == 200 and found.json()["status"] == status else None

    return await poll(reached, f"the call's conversation to be {status}")


async def test_the_renewal_call_turns_into_offices_then_a_negotiation_for_the_team(
    stack: Stack,
    settings: Settings,  # noqa: F811
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    action = await live_call(stack, "contract_renewal")
    async with call(stack, settings, action) as line:
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
    assert "plans_and_prices" in brief.body_html

    # Every turn is an update in the conversation's history, every tool and text an activity.
    history = await stack.client.get_workflow_handle(conversation_id(action["id"])).fetch_history()
    updates = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    activities = [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                  if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]  # fmt: skip
    assert len(updates) == 3 and "text_links" in activities and "escalate" in activities


async def test_a_forged_handshake_is_refused_and_a_dropped_call_keeps_a_consistent_transcript(
    stack: Stack,
    settings: Settings,  # noqa: F811
) -> None:
    action = await live_call(stack)
    async with call(stack, settings, action, key="not-the-secret") as forged:
        assert await forged.ended() is None and forged.closed_with == 1008
    # A genuine call that names no outreach waiting for it is told so, politely, and ended.
    async with call(stack, settings, {"id": "outreach:atx:none"}) as stranger:
        assert "I can't continue this call" in (await stranger.hear()).text
        assert await stranger.ended() == {"type": "end", "handoffData": '{"reason": "not live"}'}

    async with call(stack, settings, action) as line:
        answer = await line.say("Are you a real person or a bot?")
        assert "AI assistant" in answer.text
    # Hung up while the answer was said: it is on the timeline, marked so, and the conversation is closed.
    detail = await conversation(stack, action, "closed")
    bodies = [entry["body"] for entry in detail["timeline"]]
    assert f"{answer.text} [the call ended while this was said]" in bodies
    assert "Closed: the call ended (hang-up)." in bodies


async def test_zero_on_the_keypad_asks_for_a_person(stack: Stack, settings: Settings) -> None:  # noqa: F811
    action = await live_call(stack)
    async with call(stack, settings, action) as line:
        handed = await line.press("0")
        assert "follow up by email" in handed.text
        assert (await line.ended()) is not None
    detail = await conversation(stack, action, "escalated")
    assert ("customer", "I'd like to talk to a person, please.") in [
        (e["sender"], e["body"]) for e in detail["timeline"]
    ]
