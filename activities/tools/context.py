"""What every tool works with: the session, the location and the customer, the time, the request's key, and how
portal links are signed."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from domain import portal_links
from domain.business_hours import OpeningHours
from domain.content import format_money
from models.tables import Customer, Location


class Arguments(BaseModel):
    """A tool's arguments: exactly these fields, so a model's typo is an error it sees, not a silent default."""

    model_config = ConfigDict(extra="forbid")


class ToolRefused(Exception):
    """Why a tool cannot do what was asked, in words the AI can say to the customer."""


class LimitReached(ToolRefused):
    """The AI has made as many bookings and day passes as it may: a person can make more."""


@dataclass(frozen=True)
class PortalLinks:
    secret: str
    lifetime: timedelta


@dataclass(frozen=True)
class BookingCaps:
    """How many bookings and day passes the AI may make: in one conversation (since it last opened), and for one
    customer on a day of their location. Over them, a person decides."""

    per_conversation: int
    per_customer_day: int


@dataclass(frozen=True)
class ToolContext:
    session: Session
    location: Location
    customer: Customer
    now: datetime
    request_key: str
    links: PortalLinks
    caps: BookingCaps
    conversation_id: str | None  # None: a use made before tool uses were recorded on a conversation

    @property
    def hours(self) -> OpeningHours:
        return OpeningHours(self.location.time_zone, self.location.business_hours, frozenset(self.location.closures))

    def money(self, cents: int) -> str:
        return format_money(cents, self.location.currency)

    def portal_link(self, purpose: str, reference: str = "", issued: datetime | None = None) -> str:
        """A signed link, good for the links' lifetime from when it was first issued (a retry answers the same)."""
        link = portal_links.PortalLink(purpose, self.customer.id, reference, (issued or self.now) + self.links.lifetime)
        return portal_links.make(self.links.secret, self.location.portal_url, link)
