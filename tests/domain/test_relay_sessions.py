"""A call's session address names one call, only we can make one, and it expires."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import relay_sessions

KEY = "test-auth-token"
NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
SESSION = relay_sessions.RelaySession(
    "d3b07384-d9a0-4c1b-9f4e-0c5a9f2e6b11", "CA" + "a" * 32, NOW + timedelta(minutes=5)
)


def test_an_address_we_made_names_its_call_until_it_expires() -> None:
    delivery_id, call_sid, expires, signature = SESSION.path(KEY).split("/")
    assert relay_sessions.check(KEY, delivery_id, call_sid, expires, signature, NOW) == SESSION
    with pytest.raises(relay_sessions.InvalidRelaySession, match="expired at 09:05:00 UTC"):
        relay_sessions.check(KEY, delivery_id, call_sid, expires, signature, NOW + timedelta(minutes=5))


@pytest.mark.parametrize(
    "altered",
    [
        ("d3b07384-d9a0-4c1b-9f4e-0c5a9f2e6b12", None, None, None),  # another delivery
        (None, "CA" + "b" * 32, None, None),  # another call
        (None, None, str(int((NOW + timedelta(days=365)).timestamp())), None),  # a later expiry
        (None, None, None, "0" * 64),  # a made-up signature
    ],
)
def test_an_altered_address_is_refused(altered: tuple[str | None, ...]) -> None:
    parts = SESSION.path(KEY).split("/")
    delivery_id, call_sid, expires, signature = (change or part for change, part in zip(altered, parts, strict=True))
    with pytest.raises(relay_sessions.InvalidRelaySession, match="not one we handed out"):
        relay_sessions.check(KEY, delivery_id, call_sid, expires, signature, NOW)
    delivery_id, call_sid, expires, signature = parts
    with pytest.raises(relay_sessions.InvalidRelaySession, match="not one we handed out"):
        relay_sessions.check("another-key", delivery_id, call_sid, expires, signature, NOW)


@pytest.mark.parametrize(("expires", "signature"), [("²", "x"), ("9" * 5000, "x"), ("123", "é" * 64), ("-1", "x")])
def test_a_malformed_address_is_refused_in_words(expires: str, signature: str) -> None:
    with pytest.raises(relay_sessions.InvalidRelaySession, match="malformed"):
        relay_sessions.check(KEY, SESSION.delivery_id, SESSION.call_sid, expires, signature, NOW)
