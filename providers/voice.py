"""Voice: what a voice provider is asked to do (an outbound call speaking a script), its interface, and the
sandbox face: the call is recorded in the outbox and on the timeline, nothing rings."""

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


class VoiceProvider(Protocol):
    name: str

    def call(self, call: OutgoingCall) -> str:
        """Place the call and answer the provider's id for it; or raise one of `providers.outcomes`' Refused,
        Unavailable, Ambiguous."""

    def confirm(self, attempt: Attempt) -> str | None:
        """After an ambiguous attempt: the provider's id if the call was placed, None if it surely was not;
        or raise Unconfirmed."""


class SandboxVoice:
    """Nothing rings: the outbox row is the call."""

    name = "sandbox"

    def call(self, call: OutgoingCall) -> str:
        return f"sandbox-{call.call_id}"

    def confirm(self, attempt: Attempt) -> str | None:
        return None  # a sandbox call has no effect outside the outbox row, so it is safe to repeat
