"""Links into the location's member portal that the AI hands out (pay this invoice, book, your profile), and the
members' chat links the portal hands its members: signed and expiring, so a link names exactly one customer and
one thing, cannot be altered to name another, and stops working. The portal checks them with `verify` and the
same secret; the chat API checks a chat link the same way."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

PURPOSES = ("pay_invoice", "book", "profile", "chat")


class InvalidPortalLink(Exception):
    """Why a portal link is refused."""


@dataclass(frozen=True)
class PortalLink:
    purpose: str
    customer_id: str
    reference: str  # the invoice number, the booking id; empty for the profile
    expires_at: datetime


def _signature(secret: str, purpose: str, customer_id: str, reference: str, expires: int) -> str:
    message = f"portal-link|{purpose}|{customer_id}|{reference}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def make(secret: str, portal_url: str, link: PortalLink) -> str:
    expires = int(link.expires_at.timestamp())
    query = urlencode({"customer": link.customer_id, "ref": link.reference, "expires": expires,
                       "sig": _signature(secret, link.purpose, link.customer_id, link.reference, expires)})  # fmt: skip
    return f"{portal_url.rstrip('/')}/{link.purpose.replace('_', '-')}?{query}"


def verify(secret: str, url: str, now: datetime) -> PortalLink:
    parts = urlsplit(url)
    purpose = parts.path.rstrip("/").rpartition("/")[2].replace("-", "_")
    fields = {name: values[0] for name, values in parse_qs(parts.query).items()}
    try:
        customer_id, reference, expires, signature = (fields["customer"], fields.get("ref", ""),
                                                       int(fields["expires"]), fields["sig"])  # fmt: skip
    except (KeyError, ValueError):
        raise InvalidPortalLink("The link is incomplete.") from None
    expected = _signature(secret, purpose, customer_id, reference, expires)
    # Compared as bytes: any text may arrive in a link, and compare_digest refuses non-ASCII strings.
    if purpose not in PURPOSES or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidPortalLink("The link's signature does not match: it was altered.")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if expires_at <= now:
        raise InvalidPortalLink(f"The link expired on {expires_at:%Y-%m-%d}.")
    return PortalLink(purpose, customer_id, reference, expires_at)
