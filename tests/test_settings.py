"""What a process refuses to start with: development together with a provider that reaches real customers, and,
outside development (or with inbound mail on), a signing secret that is missing or shorter than 32 bytes — the
fixed development secrets are public, so what they sign proves nothing. Checked as a deployment starts them: the
settings read from the environment, the API's start-up, the worker's build."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from api.main import create_app
from settings import DEVELOPMENT_PORTAL_SECRET, DEVELOPMENT_REPLY_SECRET, InsecureSettings, Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET
from worker import build_worker

SENDGRID: dict[str, Any] = {"sendgrid_api_key": "SG.real-key"}
TWILIO: dict[str, Any] = {
    "twilio_account_sid": "AC" + "1" * 32,
    "twilio_auth_token": "token",
    "twilio_from_number": "+15005550006",
}
SMTP: dict[str, Any] = {"smtp_host": "smtp.example.com"}
SIGNED: dict[str, Any] = {"reply_token_secret": REPLY_SECRET, "portal_link_secret": PORTAL_SECRET}
MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


@pytest.mark.parametrize(("provider", "named"), [(SENDGRID, "SendGrid"), (TWILIO, "Twilio"), (SMTP, "SMTP relay")])
def test_development_never_runs_with_a_provider_that_reaches_real_customers(
    provider: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "OUTREACH_DEVELOPMENT": "1",
        **{f"OUTREACH_{k.upper()}": v for k, v in provider.items()},
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert named in str(refused.value) and "unset OUTREACH_DEVELOPMENT in production" in str(refused.value)


def test_a_model_is_no_provider_that_reaches_customers() -> None:
    assert Settings(development=True, llm_model="ollama/llama3").development


async def test_the_api_refuses_to_start_with_sendgrid_and_the_public_portal_secret(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    # Before, the portal links this deployment sends real customers were signed with a secret anyone can read.
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, reply_token_secret=REPLY_SECRET, **SENDGRID)
    assert settings.portal_secret == ""  # no fallback outside development
    app = create_app(settings, engine)
    with pytest.raises(InsecureSettings) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert str(refused.value).startswith("OUTREACH_PORTAL_LINK_SECRET is unset.") and MAKE_ONE in str(refused.value)


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({**SENDGRID}, "OUTREACH_REPLY_TOKEN_SECRET is unset; OUTREACH_PORTAL_LINK_SECRET is unset."),
        ({**TWILIO, **SIGNED, "portal_link_secret": "x" * 31}, "OUTREACH_PORTAL_LINK_SECRET is only 31 bytes."),
        ({**SMTP, **SIGNED, "reply_token_secret": "short"}, "OUTREACH_REPLY_TOKEN_SECRET is only 5 bytes."),
        ({**SIGNED, "sendgrid_inbound_secret": "guessable"}, "OUTREACH_SENDGRID_INBOUND_SECRET is only 9 bytes."),
        # No provider in these settings is no proof: a connected mailbox reaches real customers just the same.
        ({}, "OUTREACH_REPLY_TOKEN_SECRET is unset; OUTREACH_PORTAL_LINK_SECRET is unset."),
        # In development too, inbound mail needs real secrets: a forged reply address would be accepted.
        ({"development": True, "sendgrid_inbound_secret": "i" * 32}, "OUTREACH_REPLY_TOKEN_SECRET is unset;"),
    ],
)
def test_a_worker_refuses_to_start_without_its_signing_secrets(
    configured: dict[str, Any], expected: str, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, **configured)
    with pytest.raises(InsecureSettings) as refused:
        build_worker(None, engine, settings)  # type: ignore[arg-type]  # refused before a client is used
    assert str(refused.value).startswith(expected) and MAKE_ONE in str(refused.value)


async def test_with_its_secrets_production_starts_and_development_needs_none(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    production = Settings(data_dir=tmp_path, DATABASE_URL=database_url, sendgrid_inbound_secret="i" * 32,
                          **SENDGRID, **TWILIO, **SMTP, **SIGNED)  # fmt: skip
    development = Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True)
    assert (development.reply_secret, development.portal_secret) == (
        DEVELOPMENT_REPLY_SECRET,
        DEVELOPMENT_PORTAL_SECRET,
    )
    for settings in (production, development):
        app = create_app(settings, engine)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                       base_url="http://api") as http:  # fmt: skip
            assert (await http.get("/api/me")).status_code == 401  # serving
