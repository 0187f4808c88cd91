"""Email: what an email provider is asked to send, and its faces.

Only the sandbox face exists so far: the delivery row the channel activity writes *is* the sent message,
listed by `GET /api/outbox`. Real faces (a mail API, a connected account's SMTP) come with their channels.
"""

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str  # our own Message-ID, so replies can be matched to it
    from_address: str
    to_address: str
    subject: str
    body_html: str
    body_text: str
    in_reply_to: str | None = None


class EmailProvider(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> None:
        """Hand the email over for delivery, or raise."""


class SandboxEmail:
    """Nothing leaves the machine: the outbox row is the delivery."""

    name = "sandbox"

    def send(self, email: OutgoingEmail) -> None:
        return None


def email_provider(name: Literal["sandbox"]) -> EmailProvider:
    return {"sandbox": SandboxEmail}[name]()
