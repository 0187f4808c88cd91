"""Voice: what a voice provider is asked to do — an outbound call speaking a script, and the text message that
carries the links a call cannot read out — its interface, and the sandbox face: the call and the message are
recorded in the outbox and on the timeline, nothing rings (`twilio.py` is the real face)."""

from dataclasses import dataclass
from typing import Protocol

from providers.outcomes import Attempt


@dataclass(frozen=True)
class OutgoingCall:
    call_id: str  # ours: the idempotency key of the call
    to_number: str  # E.164
    caller_name: str
    script: str
    voice: str
    language: str


@dataclass(frozen=True)
class OutgoingText:
    text_id: str  # ours: the idempotency key of the message
    to_number: str  # E.164
    body: str


class VoiceProvider(Protocol):
    name: str

    def call(self, call: OutgoingCall) -> str:
        """Place the call and answer the provider's id for it; or raise one of `providers.outcomes`' Refused,
        Unavailable, Ambiguous."""

    def text(self, text: OutgoingText) -> str:
        """Send a text message and answer the provider's id for it; or raise as `call` does."""

    def confirm_call(self, attempt: Attempt) -> str | None:
        """After an ambiguous attempt: the provider's id if the call was placed, None if it surely was not;
        or raise Unconfirmed."""

    def confirm_text(self, attempt: Attempt) -> str | None:
        """As `confirm_call`, for a text message."""


class SandboxVoice:
    """Nothing rings: the outbox row is the call."""

    name = "sandbox"

    def call(self, call: OutgoingCall) -> str:
        return f"sandbox-{call.call_id}"

    def text(self, text: OutgoingText) -> str:
        return f"sandbox-{text.text_id}"

    # A sandbox call or message has no effect outside its outbox row, so repeating one is safe.
    def confirm_call(self, attempt: Attempt) -> str | None:
        return None

    def confirm_text(self, attempt: Attempt) -> str | None:
        return None
