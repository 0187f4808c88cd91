"""The address of one call's live session: the path our TwiML hands Twilio when the customer answers names the call's
delivery and its call SID, until when it is good, and an HMAC over the three. Only we can make one, it names exactly
one call, and it stops working minutes later — so a handshake someone saw cannot be replayed for another customer's
call, or for this one once it is over (`api/webhooks/relay.py` checks the rest against the call's state)."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime


class InvalidRelaySession(Exception):
    """Why a session's address is refused."""


@dataclass(frozen=True)
class RelaySession:
    delivery_id: str
    call_sid: str
    expires_at: datetime

    def path(self, key: str) -> str:
        """`{delivery id}/{call SID}/{expiry}/{signature}`: the address's tail, signed with `key`."""
        expires = int(self.expires_at.timestamp())
        return (
            f"{self.delivery_id}/{self.call_sid}/{expires}/{_signature(key, self.delivery_id, self.call_sid, expires)}"
        )


def _signature(key: str, delivery_id: str, call_sid: str, expires: int) -> str:
    message = f"relay-session|{delivery_id}|{call_sid}|{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def check(key: str, delivery_id: str, call_sid: str, expires: str, signature: str, now: datetime) -> RelaySession:
    """The session an address names, once its signature matches and it has not expired; else InvalidRelaySession."""
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12 or not signature.isascii():
        raise InvalidRelaySession("The session's address is malformed.")
    if not hmac.compare_digest(signature.encode(), _signature(key, delivery_id, call_sid, int(expires)).encode()):
        raise InvalidRelaySession("The session's address is not one we handed out (its signature does not match).")
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if expires_at <= now:
        raise InvalidRelaySession(f"The session's address expired at {expires_at:%H:%M:%S} UTC.")
    return RelaySession(delivery_id, call_sid, expires_at)
