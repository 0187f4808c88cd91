"""Twilio: outbound calls — the approved script as the greeting, then a live conversation with the AI over
ConversationRelay — and the text messages that carry a call's links, with the `twilio` SDK.

A call asks Twilio to tell a person from an answering machine first; our TwiML endpoint then answers with the
live conversation (`relay_twiml`) or, for a machine, a short message without links (`voicemail_twiml`). Each call
and message names its status callback with our delivery id, so Twilio's reports find their delivery
(`api/webhooks/twilio.py`). After an ambiguous attempt Twilio is asked: a call or message from our number to
the customer created since the attempt is the one we placed; none means none was placed.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.twiml.voice_response import Connect, VoiceResponse
from urllib3.exceptions import NewConnectionError

from providers.outcomes import Ambiguous, Attempt, Refused, Unavailable
from providers.voice import OutgoingCall, OutgoingText

TWILIO_API = "https://api.twilio.com"
REQUEST_TIMEOUT_SECONDS = 10.0
CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
# Clocks differ between us and Twilio; a call created this long before our attempt is not ours.
CLOCK_SKEW = timedelta(minutes=1)

T = TypeVar("T")


class _ApiAt(TwilioHttpClient):
    """The SDK's HTTP client with our timeout, sending to `base_url`: Twilio's, a regional edge, or a local server."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=REQUEST_TIMEOUT_SECONDS)
        self._base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, url.replace(TWILIO_API, self._base_url, 1), *args, **kwargs)


class TwilioVoice:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, callback_base_url: str,
                 api_url: str = TWILIO_API) -> None:  # fmt: skip
        self._client = Client(account_sid, auth_token, http_client=_ApiAt(api_url))
        self._from = from_number
        self._callbacks = callback_base_url.rstrip("/")

    def call(self, call: OutgoingCall) -> str:
        created = _asking_twilio(lambda: self._client.calls.create(
            to=call.to_number, from_=self._from, url=f"{self._callbacks}/webhooks/twilio/calls/{call.call_id}/twiml",
            method="POST", machine_detection="DetectMessageEnd",
            status_callback=f"{self._callbacks}/webhooks/twilio/calls/{call.call_id}",
            status_callback_event=CALL_EVENTS, status_callback_method="POST",
        ))  # fmt: skip
        return str(created.sid)

    def text(self, text: OutgoingText) -> str:
        created = _asking_twilio(lambda: self._client.messages.create(
            to=text.to_number, from_=self._from, body=text.body,
            status_callback=f"{self._callbacks}/webhooks/twilio/messages/{text.text_id}",
        ))  # fmt: skip
        return str(created.sid)

    def confirm_call(self, attempt: Attempt) -> str | None:
        calls = _asking_twilio(lambda: self._client.calls.list(to=attempt.to_address, from_=self._from, limit=20))
        return _created_since(calls, attempt)

    def confirm_text(self, attempt: Attempt) -> str | None:
        texts = _asking_twilio(lambda: self._client.messages.list(to=attempt.to_address, from_=self._from, limit=20))
        return _created_since(texts, attempt)


def relay_twiml(relay_url: str, ended_url: str, greeting: str, voice: str, language: str,
                parameters: dict[str, str]) -> str:  # fmt: skip
    """The call connected to our WebSocket: the greeting said first, then the conversation; Twilio calls
    `ended_url` when it is over."""
    connect = Connect(action=ended_url, method="POST")
    relay = connect.conversation_relay(url=relay_url, welcome_greeting=greeting, voice=voice, language=language,
                                       dtmf_detection=True, interruptible="any")  # fmt: skip
    for name, value in parameters.items():
        relay.parameter(name=name, value=value)
    return str(VoiceResponse().append(connect))


def voicemail_twiml(message: str, voice: str, language: str) -> str:
    """An answering machine: the message, said once, and goodbye."""
    twiml = VoiceResponse()
    twiml.say(message, voice=voice, language=language)
    twiml.hangup()
    return str(twiml)


def hang_up_twiml() -> str:
    twiml = VoiceResponse()
    twiml.hangup()
    return str(twiml)


def _created_since(resources: list[Any], attempt: Attempt) -> str | None:
    ours = [r for r in resources if r.date_created is not None and r.date_created >= attempt.attempted_at - CLOCK_SKEW]
    return str(min(ours, key=lambda r: r.date_created).sid) if ours else None


def _asking_twilio(request: Callable[[], T]) -> T:
    """Twilio's SDK errors in the words the channel activities act on."""
    try:
        return request()
    except TwilioRestException as error:
        if error.status == 429 or error.status >= 500:
            raise Unavailable(f"Twilio answered {error.status}; it will be tried again.") from error
        raise Refused(f"Twilio refused ({error.status}, error {error.code}): {error.msg}") from error
    except (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError) as error:
        raise Unavailable(f"Twilio could not be reached ({error}).") from error
    except requests.exceptions.ConnectionError as error:
        cause = error.args[0] if error.args else None
        if isinstance(getattr(cause, "reason", cause), NewConnectionError):  # never connected: nothing was sent
            raise Unavailable(f"Twilio could not be reached ({error}).") from error
        raise Ambiguous(f"The connection to Twilio broke before it answered ({error}).") from error
    except requests.exceptions.Timeout as error:  # the request went out; the answer did not come back
        raise Ambiguous(f"Twilio did not answer in time ({error}).") from error
