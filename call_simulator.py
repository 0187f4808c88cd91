"""Be the customer on a call, without a phone: a client of our live-voice WebSocket that speaks Twilio
ConversationRelay's protocol as Twilio does — a signed handshake to the call's own session address, `setup` with
the call SID and the parameters the TwiML gave, each thing the customer says as a `prompt`, `interrupt`, `dtmf` —
and hears the answer as Twilio's voice would, token by token.

`outreach call-simulator <action id>` plays a call typed in a terminal; the tests and `make bench` drive calls
with it too.
"""

import asyncio
import contextlib
import json
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Self

import websockets
from twilio.request_validator import RequestValidator

from api.webhooks.relay import CallConnection

# How long a call waits for the server before it gives up on an answer.
ANSWER_SECONDS = 60.0


@dataclass
class Heard:
    """What the AI said back: its tokens, whole, and how long after the customer's last word the first came."""

    tokens: list[str] = field(default_factory=list)
    first_token_after: float = 0.0

    @property
    def text(self) -> str:
        return "".join(self.tokens).strip()


def signature(key: str, url: str) -> str:
    """The X-Twilio-Signature of a handshake to `url`: what Twilio computes with the auth token."""
    return str(RequestValidator(key).compute_signature(url, {}))


def connection_in(twiml: str) -> CallConnection:
    """Where the TwiML that answered a call connects it, as Twilio reads it: the session's address and the
    parameters its `setup` carries."""
    relay = ET.fromstring(twiml).find("./Connect/ConversationRelay")
    if relay is None:
        raise ValueError(f"The TwiML connects the call to no ConversationRelay: {twiml}")
    parameters = {str(found.get("name")): str(found.get("value")) for found in relay.iter("Parameter")}
    return CallConnection(str(relay.get("url")), parameters)


class RelayCall:
    """One call, `call_sid`, on the WebSocket at `url` with the `setup` `parameters`, its handshake signed with
    `key`. The signature is over `signed_as` when it differs (the public URL Twilio calls, when a proxy forwards
    it to `url`). What the server sends is read as it comes: the answers' tokens, and the `end` that closes the
    call."""

    def __init__(self, url: str, key: str, call_sid: str, parameters: dict[str, str],
                 signed_as: str | None = None) -> None:  # fmt: skip
        self._url, self._key, self.call_sid, self._parameters = url, key, call_sid, parameters
        self._signed_as = signed_as or url
        self._socket: websockets.ClientConnection | None = None
        self._received: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._reading: asyncio.Task[None] | None = None
        self.end: dict[str, Any] | None = None  # the server's `end`, once it came
        self.closed_with: int | None = None  # the close code, once the server closed the call
        self.refused: int | None = None  # the HTTP status, when the server refused the handshake itself

    async def __aenter__(self) -> Self:
        headers = {"X-Twilio-Signature": signature(self._key, self._signed_as)}
        try:
            self._socket = await websockets.connect(self._url, additional_headers=headers)
        except websockets.InvalidStatus as refused:  # a server closing before it accepts answers 403
            self.refused = refused.response.status_code
            await self._received.put(None)
            return self
        self._reading = asyncio.create_task(self._read(self._socket))
        with contextlib.suppress(websockets.ConnectionClosed):  # refused at once: `closed_with` says why
            await self._send({"type": "setup", "sessionId": f"VX{uuid.uuid4().hex}", "callSid": self.call_sid,
                              "from": "+15005550006", "to": "+15005550001", "direction": "outbound-api",
                              "callStatus": "in-progress", "customParameters": self._parameters})  # fmt: skip
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.hang_up()

    async def say(self, words: str) -> Heard:
        """Say something, as a whole utterance, and hear the answer."""
        started = asyncio.get_running_loop().time()
        await self._send({"type": "prompt", "voicePrompt": words, "lang": "en-US", "last": True})
        return await self.hear(started)

    async def press(self, digit: str) -> Heard:
        started = asyncio.get_running_loop().time()
        await self._send({"type": "dtmf", "digit": digit})
        return await self.hear(started)

    async def interrupt(self, said_until: str) -> None:
        """Talk over the answer: what the voice had said of it so far."""
        await self._send({"type": "interrupt", "utteranceUntilInterrupt": said_until,
                          "durationUntilInterruptMs": 1200})  # fmt: skip

    async def hear(self, since: float | None = None) -> Heard:
        """The answer's tokens, up to the last one (none when the call ended first)."""
        heard = Heard()
        while True:
            message = await self._next()
            if message is None or message.get("type") == "end":
                return heard
            if message.get("type") == "text":
                if not heard.tokens and since is not None:
                    heard.first_token_after = asyncio.get_running_loop().time() - since
                heard.tokens.append(str(message.get("token", "")))
                if message.get("last"):
                    return heard

    async def ended(self) -> dict[str, Any] | None:
        """Wait for the server to end the call (its `end`, or closing the socket); the `end`, if one came."""
        while self.end is None and self.closed_with is None and self.refused is None:
            if await self._next() is None:
                break
        return self.end

    async def hang_up(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        if self._reading is not None:
            await self._reading

    async def _read(self, socket: websockets.ClientConnection) -> None:
        try:
            async for raw in socket:
                message = json.loads(raw)
                if isinstance(message, dict):
                    if message.get("type") == "end":
                        self.end = message
                    await self._received.put(message)
        except websockets.ConnectionClosed:
            pass
        self.closed_with = socket.close_code if socket.close_code is not None else 1006
        await self._received.put(None)

    async def _next(self) -> dict[str, Any] | None:
        if self._received.empty() and (self.closed_with is not None or self.refused is not None):
            return None
        return await asyncio.wait_for(self._received.get(), timeout=ANSWER_SECONDS)

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._socket is not None, "the call is connected"
        await self._socket.send(json.dumps(message))


async def simulate(connect: CallConnection, key: str, call_sid: str) -> None:
    """A call typed in the terminal: each line is said; an empty line hangs up."""
    async with RelayCall(connect.url, key, call_sid, connect.parameters) as call:
        if call.refused is not None:
            print(f"The API refused the call (HTTP {call.refused}); its log says why.", flush=True)
            return
        print("On the call. Type what you say; an empty line hangs up; '#0' presses 0 on the keypad.", flush=True)
        while call.end is None and call.closed_with is None:
            words = await asyncio.to_thread(input, "you> ")
            if not words.strip():
                break
            try:
                heard = await (call.press(words[1:]) if words.startswith("#") else call.say(words))
            except websockets.ConnectionClosed:
                break
            print(f"AI> {heard.text}", flush=True)
        if call.end is not None:
            print(f"(the AI ended the call: {call.end.get('handoffData')})", flush=True)
