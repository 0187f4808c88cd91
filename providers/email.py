"""Email: what an email provider is asked to send, its interface, and the sandbox face (`sendgrid.py` is the
real one). In the sandbox the delivery row the channel activity writes *is* the sent message, listed by
`GET /api/outbox`."""

from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Protocol

from providers.outcomes import Attempt


@dataclass(frozen=True)
class OutgoingEmail:
    delivery_id: str  # ours: the idempotency key, and the custom argument events come back with
    message_id: str  # our own Message-ID, so replies can be matched to it
    from_email: str
    from_name: str
    to_address: str
    subject: str
    body_html: str
    body_text: str
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()  # the thread it continues, oldest first
    # Our ids, carried through the provider and back on its events.
    custom_args: dict[str, str] = field(default_factory=dict)

    @property
    def thread_headers(self) -> dict[str, str]:
        """`In-Reply-To` and the whole `References` chain, so every mail client files the answer in the
        customer's thread (some match only the chain's first id, others only its last)."""
        if not self.in_reply_to:
            return {}
        chain = [*dict.fromkeys([*self.references, self.in_reply_to])]
        return {"In-Reply-To": self.in_reply_to, "References": " ".join(chain)}

    @property
    def headers(self) -> dict[str, str]:
        """The headers the email goes out with (the sending date aside), as the outbox shows them."""
        return {
            "From": formataddr((self.from_name, self.from_email)),
            "To": self.to_address,
            "Subject": self.subject,
            "Message-ID": self.message_id,
            **({"Reply-To": self.reply_to} if self.reply_to else {}),
            **self.thread_headers,
            **QUIET_AUTO_REPLIES,
        }


# Out-of-office robots stay quiet: they would otherwise answer the AI and wake it for nothing.
QUIET_AUTO_REPLIES = {"X-Auto-Response-Suppress": "OOF, AutoReply"}


class EmailProvider(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> str:
        """Hand the email over for delivery and answer the provider's id for it; or raise one of
        `providers.outcomes`' Refused, Unavailable, Ambiguous."""

    def confirm(self, attempt: Attempt) -> str | None:
        """After an ambiguous attempt: the provider's id if the email went out, None if it surely did not;
        or raise Unconfirmed."""


class SandboxEmail:
    """Nothing leaves the machine: the outbox row is the delivery."""

    name = "sandbox"

    def send(self, email: OutgoingEmail) -> str:
        return f"sandbox-{email.delivery_id}"

    def confirm(self, attempt: Attempt) -> str | None:
        return None  # sending to the sandbox has no effect outside the outbox row, so it is safe to repeat
