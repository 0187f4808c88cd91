"""What can happen when a provider is asked to send, in the words the channel activities act on. Each real face
turns its SDK's errors into one of these, so exactly-once delivery is written once (activities/channels)."""

from dataclasses import dataclass
from datetime import datetime


class Refused(Exception):
    """The provider refused for good (an invalid recipient, a 4xx): sending again would be refused again.
    The message is for the operator: what went wrong and what to do."""


class Unavailable(Exception):
    """The provider did not take the message (a 429, a 5xx, no connection): nothing went out; try again later."""


class Ambiguous(Exception):
    """The request may have reached the provider (the connection dropped after it was sent): before sending
    again, ask the provider (`confirm`) whether it has the message."""


class Unconfirmed(Exception):
    """The provider cannot tell yet whether an ambiguous attempt went out. `final`: it never will (the
    delivery is marked unknown for a person to check); otherwise ask again later."""

    def __init__(self, message: str, *, final: bool) -> None:
        super().__init__(message)
        self.final = final


@dataclass(frozen=True)
class Attempt:
    """An earlier attempt whose outcome is not known: what a provider needs to find it."""

    delivery_id: str
    to_address: str
    attempted_at: datetime
    # What the provider has told us about it since, through its webhooks (its message id), if anything.
    provider_message_id: str | None
