"""Voice: what a voice provider is asked to do (an outbound call speaking a script), and its faces.

Only the sandbox face exists so far: the call is recorded in the outbox and on the timeline, nothing rings.
"""

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class OutgoingCall:
    call_id: str  # ours: the idempotency key of the call
    to_number: str  # E.164
    caller_name: str
    script: str


class VoiceProvider(Protocol):
    name: str

    def call(self, call: OutgoingCall) -> None:
        """Place the call, or raise."""


class SandboxVoice:
    """Nothing rings: the outbox row is the call."""

    name = "sandbox"

    def call(self, call: OutgoingCall) -> None:
        return None


def voice_provider(name: Literal["sandbox"]) -> VoiceProvider:
    return {"sandbox": SandboxVoice}[name]()
