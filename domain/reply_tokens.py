"""Reply tokens: the AI email's Reply-To is `reply+{token}@{domain}`, and the token names the delivery the customer
answers (so its conversation, its proposal and its location), until when it is good, and an HMAC over both and the
location. A reply that comes home is matched by the token alone — no guessing from subjects or senders — and a
token that was altered, has expired, or is presented for another location matches nothing.

The token must fit an address's local part (at most 64 characters, and mail systems may change its case), so it
is lowercase base32 of 30 bytes: the delivery id's 16, a 4-byte expiry and a 10-byte (80-bit) HMAC-SHA256 tag.
"""

import base64
import hashlib
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "reply+"
_TAG_BYTES = 10
_LENGTH = 16 + 4 + _TAG_BYTES


class InvalidReplyToken(Exception):
    """Why a reply token is refused, in words for the team's timeline."""


@dataclass(frozen=True)
class ReplyToken:
    delivery_id: str
    expires_at: datetime


def _tag(secret: str, body: bytes, location_id: str) -> bytes:
    message = b"reply-token|" + body + b"|" + location_id.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:_TAG_BYTES]


def issue(secret: str, delivery_id: str, location_id: str, expires_at: datetime) -> str:
    """The token for replies to `delivery_id` (a UUID, as every delivery id is) sent from `location_id`."""
    if not secret:
        raise ValueError("A reply token needs a secret (OUTREACH_REPLY_TOKEN_SECRET).")
    body = uuid.UUID(delivery_id).bytes + struct.pack(">I", int(expires_at.timestamp()))
    return base64.b32encode(body + _tag(secret, body, location_id)).decode().rstrip("=").lower()


def read(token: str) -> ReplyToken:
    """What a token claims, before it is checked: the delivery to look the location up from."""
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except ValueError:
        raise InvalidReplyToken("The reply address does not hold a reply token.") from None
    if len(raw) != _LENGTH:
        raise InvalidReplyToken("The reply address does not hold a reply token.")
    (expires,) = struct.unpack(">I", raw[16:20])
    return ReplyToken(delivery_id=str(uuid.UUID(bytes=raw[:16])), expires_at=datetime.fromtimestamp(expires, UTC))


def check(secret: str, token: str, location_id: str, now: datetime) -> ReplyToken:
    """The token's claims once its tag matches for `location_id` and it has not expired; else InvalidReplyToken."""
    claims = read(token)
    raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    if not secret or not hmac.compare_digest(raw[20:], _tag(secret, raw[:20], location_id)):
        raise InvalidReplyToken(
            "The reply token's signature does not match: it was altered or is for another location."
        )
    if claims.expires_at <= now:
        raise InvalidReplyToken(f"The reply token expired on {claims.expires_at:%Y-%m-%d}.")
    return claims


def address(token: str, domain: str) -> str:
    return f"{PREFIX}{token}@{domain}"


def token_in(recipient: str) -> str | None:
    """The token of a reply address (`reply+{token}@…`, any case), or None for any other address."""
    local = recipient.strip().strip("<>").rpartition("@")[0].lower()
    return local.removeprefix(PREFIX) if local.startswith(PREFIX) else None
