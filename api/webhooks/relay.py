"""The live-voice WebSocket Twilio's ConversationRelay connects a call to (`inbound/calls.py` is the call's side).

Each call has a session address of its own: the TwiML that connects an answered call hands Twilio
`/webhooks/twilio/relay/{delivery}/{call SID}/{expiry}/{signature}` (`domain/relay_sessions.py`), good for a few
minutes. Before the socket is accepted the handshake must carry a valid `X-Twilio-Signature` — Twilio signs the
address it called (our public base URL as `wss://`, with the path) with the account's auth token; without Twilio
(development, where the call simulator plays the customer) with `OUTREACH_PORTAL_LINK_SECRET` — the address must
be one we signed and still good, its call SID the delivery's, and the call still going on (the delivery not
ended, the outreach sent, its conversation open). A refused handshake is closed with 1008 before it is accepted
(the client sees HTTP 403); a `setup` that names another call or outreach than its address is closed with 1008.

In: `setup` (its parameters name the outreach), `prompt` (what the customer said: we ask for no partial prompts,
so each is a whole utterance), `interrupt` (what was said before the customer talked over it), `dtmf`, `error`.
Out: the answer as `text` tokens, word by word, the last one marked; `end` with the hand-off data when the
conversation is over (resolved, escalated, opted out).
"""

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowUpdateFailedError
from twilio.request_validator import RequestValidator

from domain import relay_sessions
from domain.ids import conversation_id
from inbound.calls import CallNotLive, CallSession
from models.messages import ActionStatus, Channel, ConversationStatus, DeliveryStatus, LiveAnswer
from models.tables import Conversation, Delivery, ProposedAction
from settings import Settings

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])
log = logging.getLogger(__name__)

RELAY_PATH = "/webhooks/twilio/relay"
# Twilio connects as soon as the TwiML is read; a session address is no good after this.
SESSION_LIFETIME = timedelta(minutes=5)
POLICY_VIOLATION = 1008
SORRY = "I'm sorry, I can't continue this call. Our team will get back to you. Goodbye."


class HandshakeRefused(Exception):
    """Why a call's session is not accepted (for our log: the client only sees the refusal)."""


@dataclass(frozen=True)
class CallConnection:
    """What an answered call is connected to: its session's address and the parameters its `setup` carries."""

    url: str
    parameters: dict[str, str]


def relay_key(settings: Settings) -> str | None:
    """What a handshake is signed with; None: no call can connect."""
    return settings.twilio_auth_token if settings.twilio else (settings.portal_link_secret or None)


def connection(public_base_url: str, key: str, delivery: Delivery, call_sid: str, now: datetime) -> CallConnection:
    """Where the call `call_sid` of the voice `delivery` connects, from `now` for SESSION_LIFETIME: the address
    Twilio calls (and signs), under our public base URL."""
    session = relay_sessions.RelaySession(delivery.id, call_sid, now + SESSION_LIFETIME)
    url = f"{_public_relay(public_base_url)}/{session.path(key)}"
    return CallConnection(url, {"action_id": delivery.proposed_action_id or "", "delivery_id": delivery.id})


def _public_relay(public_base_url: str) -> str:
    return re.sub(r"^http", "ws", public_base_url.rstrip("/")) + RELAY_PATH


def tokens(spoken: str) -> list[str]:
    """The answer as the tokens streamed to the voice: word by word, each with the space after it."""
    return re.findall(r"\S+\s*", spoken)


@router.websocket("/relay/{delivery_id}/{call_sid}/{expires}/{signature}")
async def relay(websocket: WebSocket, delivery_id: str, call_sid: str, expires: str, signature: str) -> None:
    settings: Settings = websocket.app.state.settings
    try:
        key = relay_key(settings)
        if key is None:
            raise HandshakeRefused("no call can connect: Twilio is not configured, nor OUTREACH_PORTAL_LINK_SECRET")
        # Twilio signs the address our TwiML handed out: the public one, whatever a proxy made of it on the way.
        url = f"{_public_relay(settings.public_base_url)}/{delivery_id}/{call_sid}/{expires}/{signature}"
        url += f"?{websocket.url.query}" if websocket.url.query else ""
        if not RequestValidator(key).validate(url, {}, websocket.headers.get("x-twilio-signature", "")):
            raise HandshakeRefused("the X-Twilio-Signature of the handshake does not match")
        try:
            relay_sessions.check(key, delivery_id, call_sid, expires, signature, datetime.now(UTC))
        except relay_sessions.InvalidRelaySession as invalid:
            raise HandshakeRefused(str(invalid)) from invalid
        action_id = await run_in_threadpool(_going_on, websocket.app.state.engine, delivery_id, call_sid)
    except HandshakeRefused as refused:
        log.warning("A call's relay handshake was refused: %s", refused)
        await websocket.close(POLICY_VIOLATION)  # before accepting: the handshake is answered 403
        return
    await websocket.accept()
    session: CallSession | None = None
    try:
        setup = await _received(websocket)
        parameters = {"action_id": action_id, "delivery_id": delivery_id}
        expected = {"type": "setup", "callSid": call_sid, "customParameters": parameters}
        if not isinstance(setup, dict) or any(setup.get(field) != value for field, value in expected.items()):
            log.warning("The setup of call %s does not match its session (another call or outreach).", call_sid)
            await websocket.close(POLICY_VIOLATION, "The setup does not match the call this session belongs to.")
            return
        client: Client = websocket.app.state.client
        session = CallSession(client, action_id, call_sid)
        await session.picked_up()
        while not session.over:
            message = await _received(websocket)
            if isinstance(message, dict):
                await _take(websocket, session, message)
    except WebSocketDisconnect:
        if session is not None:
            await session.ended("the call ended (hang-up)")
    except (CallNotLive, WorkflowUpdateFailedError) as refused:
        log.warning("A call cannot go on: %s", refused)
        await _say(websocket, SORRY)
        await websocket.send_json({"type": "end", "handoffData": json.dumps({"reason": "not live"})})
        await websocket.close()


def _going_on(engine: Engine, delivery_id: str, call_sid: str) -> str:
    """The outreach of the call, while it is going on: the delivery's own call, not over, its outreach sent and its
    conversation (once there is one) open."""
    with Session(engine) as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None or delivery.channel is not Channel.voice or delivery.proposed_action_id is None:
            raise HandshakeRefused(f"no call {delivery_id!r} was placed")
        if delivery.provider_message_id != call_sid:
            raise HandshakeRefused(f"call {call_sid!r} is not the call of delivery {delivery_id!r}")
        action = db.get(ProposedAction, delivery.proposed_action_id)
        conversation = db.get(Conversation, conversation_id(delivery.proposed_action_id))
    if delivery.status is not DeliveryStatus.sent:
        raise HandshakeRefused(f"call {call_sid!r} is over (its delivery is {delivery.status.value})")
    if action is None or action.status is not ActionStatus.sent:
        raise HandshakeRefused(
            f"call {call_sid!r} is over (its outreach is {action.status.value if action else 'gone'})"
        )
    if conversation is not None and conversation.status is not ConversationStatus.open:
        raise HandshakeRefused(f"the conversation of call {call_sid!r} is {conversation.status.value}")
    return action.id


async def _received(websocket: WebSocket) -> Any:
    """The next message, as JSON; a frame that is not JSON text is passed over (None), so one bad message never
    ends a customer's call."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        return json.loads(message.get("text") or "")
    except ValueError:
        log.warning("A call's relay sent a message that is not JSON text; it is passed over.")
        return None


async def _take(websocket: WebSocket, session: CallSession, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "prompt" and message.get("last", True) and str(message.get("voicePrompt", "")).strip():
        await _answer(websocket, session, await session.heard(str(message["voicePrompt"]).strip()))
    elif kind == "interrupt":
        await session.interrupted(str(message.get("utteranceUntilInterrupt", "")))
    elif kind == "dtmf":
        answer = await session.pressed(str(message.get("digit", "")))
        if answer is not None:
            await _answer(websocket, session, answer)
    elif kind == "error":
        log.warning("ConversationRelay reported an error: %s", message.get("description"))


async def _answer(websocket: WebSocket, session: CallSession, answer: LiveAnswer) -> None:
    """Say the answer; a conversation that is over ends the call, saying why in the hand-off data."""
    await _say(websocket, answer.spoken)
    if answer.status is not ConversationStatus.open:
        handoff = {"reason": answer.status.value, "texted_links": len(answer.links)}
        await websocket.send_json({"type": "end", "handoffData": json.dumps(handoff)})
        await session.ended(f"the AI ended the call ({answer.status.value})")


async def _say(websocket: WebSocket, spoken: str) -> None:
    words = tokens(spoken)
    for position, token in enumerate(words, start=1):
        await websocket.send_json({"type": "text", "token": token, "last": position == len(words)})
