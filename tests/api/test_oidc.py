"""Signing in with the organisation's OpenID Connect provider, against a fake provider speaking the protocol: an
invited operator goes to the provider and comes back signed in, to the page they were on; everything an attacker or
a misconfigured provider could send back is refused in words — another browser's sign-in, a code used twice, an ID
token for another app, expired, for another sign-in, signed with another key or not at all, an address the provider
does not vouch for, someone no admin invited."""

from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from models.operators import create_operator
from settings import Settings
from tests.api.test_operators import whoami
from tests.conftest import Stack
from tests.fakes.oidc_server import CLIENT_ID, CLIENT_SECRET, FakeOidc, fake_oidc

pytestmark = pytest.mark.one_database  # the subject is the provider's wire, not the database

EMAIL = "sanne@canalhouse.example"


@pytest.fixture
def provider() -> Iterator[FakeOidc]:
    with fake_oidc() as fake:
        fake.user["email"] = EMAIL
        yield fake


@pytest.fixture
def settings(tmp_path: Path, database_url: str, provider: FakeOidc) -> Settings:
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True, operator_cache_seconds=0,
                    oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                    oidc_name="Canal House SSO")  # fmt: skip


def browser(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=str(stack.http.base_url))


async def round_trip(http: httpx.AsyncClient, next_page: str = "") -> tuple[httpx.Response, str]:
    """To the provider and back, as a browser goes: the callback's answer, and the address it was called at."""
    going = await http.get("/app/sign-in/oidc", params={"next": next_page} if next_page else None)
    assert going.status_code == 303, going.text
    asked = urlsplit(going.headers["location"])
    query = {name: values[0] for name, values in parse_qs(asked.query).items()}
    assert (query["response_type"], query["code_challenge_method"], query["scope"]) == (
        "code",
        "S256",
        "openid email profile",
    )
    at_provider = await http.get(going.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    callback = f"{back.path}?{back.query}"
    return await http.get(callback), callback


async def test_an_invited_operator_signs_in_with_the_provider_and_comes_back_where_they_were(
    stack: Stack, provider: FakeOidc
) -> None:
    create_operator(stack.engine, name="Sanne", email=EMAIL, location_ids=["ams"], is_admin=False)
    async with browser(stack) as http:
        page = await http.get("/app/sign-in")
        assert "Sign in with Canal House SSO" in page.text
        done, _ = await round_trip(http, "/app/conversations")
        assert done.status_code == 200, done.text
        # A page of ours moves on, so that the strict session cookie goes with the next visit.
        assert 'http-equiv="refresh" content="0; url=/app/conversations"' in done.text
        assert await whoami(http) == EMAIL
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {http.cookies['outreach_session']}"})
        assert me.json()["location_ids"] == ["ams"]  # what the admin's invitation allows, not more
        assert "outreach_oidc" not in http.cookies  # the flow is over


async def test_what_comes_back_from_the_provider_is_checked_before_anyone_is_signed_in(
    stack: Stack, provider: FakeOidc
) -> None:
    create_operator(stack.engine, name="Sanne", email=EMAIL, location_ids=["ams"], is_admin=False)
    # Another browser's way back (a link an attacker sends): no flow of this browser's, nobody signed in.
    async with browser(stack) as attacker:
        going = await attacker.get("/app/sign-in/oidc")
        back = urlsplit((await attacker.get(going.headers["location"])).headers["location"])
    async with browser(stack) as victim:
        refused = await victim.get(f"{back.path}?{back.query}")
        assert refused.status_code == 400 and "not started in this browser" in refused.text
        assert await whoami(victim) is None
        strange = await victim.get(back.path, params={"code": "x", "state": "é" * 50})
        assert strange.status_code == 400 and "not started in this browser" in strange.text
    # The same way back twice: the provider takes a code once.
    async with browser(stack) as http:
        done, callback = await round_trip(http)
        assert done.status_code == 200
    async with browser(stack) as http:
        http.cookies.set("outreach_oidc", "x.y.z.", path="/app/sign-in/oidc/callback")
        assert (await http.get(callback)).status_code == 400

    # ID tokens that must not hold, each refused with why.
    for forged, words in (("audience", "Audience doesn't match"), ("expired", "Signature has expired"),
                          ("nonce", "belongs to another sign-in"), ("foreign_key", "Signature verification failed"),
                          ("none", "does not hold")):  # fmt: skip
        provider.forge = forged
        async with browser(stack) as http:
            refused, _ = await round_trip(http)
            assert refused.status_code == 401 and words in unescape(refused.text), forged
            assert await whoami(http) is None

    # An address the provider does not vouch for; one no admin invited.
    provider.user["email_verified"] = False
    async with browser(stack) as http:
        refused, _ = await round_trip(http)
        assert refused.status_code == 401 and "did not vouch for an email address" in refused.text
    provider.user |= {"email_verified": True, "email": "stranger@elsewhere.example"}
    async with browser(stack) as http:
        refused, _ = await round_trip(http)
        assert refused.status_code == 403 and "ask an admin to invite you" in refused.text
        assert await whoami(http) is None

    # The provider itself says no.
    async with browser(stack) as http:
        said_no = await http.get(
            "/app/sign-in/oidc/callback", params={"error": "access_denied", "error_description": "You cancelled."}
        )
        assert said_no.status_code == 401 and "You cancelled." in said_no.text


def test_a_provider_is_configured_whole_and_over_https(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="OUTREACH_OIDC_CLIENT_ID"):
        Settings(data_dir=tmp_path, DATABASE_URL="sqlite://", oidc_issuer="https://login.example")
    with pytest.raises(ValueError, match="https://"):
        Settings(data_dir=tmp_path, DATABASE_URL="sqlite://", oidc_issuer="http://login.example",
                 oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)  # fmt: skip
