"""Reply tokens match a reply to the delivery it answers, and nothing else: altered, expired or other-location
tokens are refused with a reason the team can read."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import reply_tokens
from domain.reply_tokens import InvalidReplyToken

SECRET = "test-secret"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=90)


@given(st.uuids(version=4), st.text(min_size=1, max_size=40))
def test_a_token_names_its_delivery_and_fits_an_address(delivery: uuid.UUID, location_id: str) -> None:
    token = reply_tokens.issue(SECRET, str(delivery), location_id, LATER)
    address = reply_tokens.address(token, "reply.example.com")
    assert len(address.partition("@")[0]) <= 64
    # Mail systems may change the case of the local part; the token survives it.
    for seen in (address, address.upper(), f"<{address}>"):
        found = reply_tokens.token_in(seen)
        assert found is not None
        claims = reply_tokens.check(SECRET, found, location_id, NOW)
        assert claims.delivery_id == str(delivery)
        assert claims.expires_at == LATER


def test_an_altered_token_is_refused() -> None:
    token = reply_tokens.issue(SECRET, str(uuid.uuid4()), "ams", LATER)
    flipped = token[:10] + ("a" if token[10] != "a" else "b") + token[11:]
    with pytest.raises(InvalidReplyToken, match="altered"):
        reply_tokens.check(SECRET, flipped, "ams", NOW)


def test_a_token_of_another_location_or_secret_is_refused() -> None:
    token = reply_tokens.issue(SECRET, str(uuid.uuid4()), "ams", LATER)
    with pytest.raises(InvalidReplyToken, match="another location"):
        reply_tokens.check(SECRET, token, "rtm", NOW)
    with pytest.raises(InvalidReplyToken):
        reply_tokens.check("another-secret", token, "ams", NOW)


def test_an_expired_token_is_refused() -> None:
    token = reply_tokens.issue(SECRET, str(uuid.uuid4()), "ams", NOW)
    with pytest.raises(InvalidReplyToken, match="expired on 2026-11-30"):
        reply_tokens.check(SECRET, token, "ams", NOW)


@pytest.mark.parametrize("token", ["", "hello", "reply", "0" * 48, "a" * 47])
def test_what_is_not_a_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidReplyToken, match="does not hold a reply token"):
        reply_tokens.read(token)


def test_other_addresses_hold_no_token() -> None:
    assert reply_tokens.token_in("billing@ams.example") is None
    assert reply_tokens.token_in("not an address") is None
