"""The live-voice WebSocket Twilio's ConversationRelay connects a call to (`inbound/calls.py` is the call's side).

The handshake must carry a valid `X-Twilio-Signature`: Twilio signs the WebSocket URL it called (our public base
URL as `wss://`, with the path) with the account's auth token; without Twilio — the sandbox, where the call
simulator plays the customer — with `OUTREACH_PORTAL_LINK_SECRET`. A forged handshake is closed with 1008.

In: `setup` (our parameters name the outreach), `prompt` (what the customer said: we ask for no partial prompts,
so each is a whole utterance), `interrupt` (what was said before the customer talked over it), `dtmf`, `error`.
Out: the answer as `text` tokens, word by word, the last one marked; `end` with the hand-off data when the
conversation is over (resolved, escalated, opted out).
"""

import json
import logging
import re
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlmodel import Session
from temporalio.client import Client, WorkflowUpdateFailedError
from twilio.request_validator import RequestValidator

from inbound.calls import CallNotLive, CallSession
from models.messages import ActionStatus, Channel, ConversationStatus, LiveAnswer
from models.tables import ProposedAction
from settings import Settings

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])
log = logging.getLogger(__name__)

RELAY_PATH = "/webhooks/twilio/relay"
POLICY_VIOLATION = 1008
SORRY = "I'm sorry, I can't continue this call. Our team will get back to you. Goodbye."


def relay_key(settings: Settings) -> str | None:
    """What a handshake is signed with; None: no call can connect."""
    return settings.twilio_auth_token if settings.twilio else (settings.portal_link_secret or None)


def relay_url(settings: Settings) -> str:
    """The WebSocket's public URL, as Twilio calls (and signs) it."""
    return re.sub(r"^http", "ws", settings.public_base_url.rstrip("/")) + RELAY_PATH


def tokens(spoken: str) -> list[str]:
    """The answer as the tokens streamed to the voice: word by word, each with the space after it."""
    return re.findall(r"\S+\s*", spoken)


@router.websocket("/relay")
async def relay(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    await websocket.accept()
    key, signature = relay_key(settings), websocket.headers.get("x-twilio-signature", "")
    url = relay_url(settings) + (f"?{websocket.url.query}" if websocket.url.query else "")
    if key is None or not RequestValidator(key).validate(url, {}, signature):
        await websocket.close(POLICY_VIOLATION, "The X-Twilio-Signature of the handshake does not match.")
        return
    session: CallSession | None = None
    try:
        setup = await websocket.receive_json()
        session = _session(websocket, setup)
        await session.picked_up()
        while not session.over:
            await _take(websocket, session, await websocket.receive_json())
    except WebSocketDisconnect:
        if session is not None:
            await session.ended("the call ended (hang-up)")
    except (CallNotLive, WorkflowUpdateFailedError) as refused:
        log.warning("A call cannot go on: %s", refused)
        await _say(websocket, SORRY)
        await websocket.send_json({"type": "end", "handoffData": json.dumps({"reason": "not live"})})
        await websocket.close()


def _session(websocket: WebSocket, setup: dict[str, Any]) -> CallSession:
    """The call the setup names: a voice outreach that was sent."""
    if setup.get("type") != "setup":
        raise CallNotLive("The first message was not the setup.")
    action_id = str((setup.get("customParameters") or {}).get("action_id", ""))
    with Session(websocket.app.state.engine) as db:
        action = db.get(ProposedAction, action_id) if action_id else None
    if action is None or action.channel is not Channel.voice or action.status is not ActionStatus.sent:
        raise CallNotLive(f"No call of outreach {action_id!r} is going on.")
    client: Client = websocket.app.state.client
    return CallSession(client, action.id, str(setup.get("callSid") or setup.get("sessionId") or "call"))


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
