"""Requests generated from the API's own OpenAPI document — every operation, valid and invalid input alike — sent
over real HTTP by an operator of one location with every permission, and by a stranger without a token; SendGrid's
Event Webhook posts of any JSON, signed with its real key; and Twilio's callbacks of any form, signed as Twilio
signs them: none may answer a server error (503 is the
documented answer of something not configured or away). `make test` sends a few per operation; `make fuzz` sends
many (`OUTREACH_FUZZ_EXAMPLES`)."""

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from twilio.request_validator import RequestValidator

from api.main import create_app
from models.operators import Permission, create_operator
from models.tables import Delivery
from settings import Settings
from tests.api.test_twilio_callbacks import PUBLIC, fake, placed_call  # noqa: F401 (the fake Twilio fixture)
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack
from tests.fakes.sendgrid_server import FakeSendGrid, fake_sendgrid
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

EXAMPLES = int(os.environ.get("OUTREACH_FUZZ_EXAMPLES", "8"))
UNAVAILABLE = 503  # not configured, or a dependency away: said in words, and not a fault
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# An event as SendGrid sends one, every field of any JSON type.
EVENT_FIELDS = ["email", "timestamp", "event", "sg_event_id", "sg_message_id", "delivery_id", "location_id",
                "action_id", "reason", "status", "type"]  # fmt: skip
EVENTS = st.lists(st.dictionaries(st.sampled_from(EVENT_FIELDS) | st.text(max_size=8), JSON, max_size=8), max_size=5)


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with fake_sendgrid() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_url: str, sendgrid: FakeSendGrid) -> Settings:
    """The stack in development (its `/api/dev` is fuzzed too), with the members' chat on and SendGrid's Event
    Webhook verifying."""
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True, reply_token_secret=REPLY_SECRET,
                    portal_link_secret=PORTAL_SECRET, sendgrid_webhook_public_key=sendgrid.public_key)  # fmt: skip


def server_errors(base_url: str, token: str, examples: int) -> list[str]:
    """Every generated request that answered 5xx, as "METHOD path → status: detail"."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    found: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the API's own document must be a valid one
        operation = result.ok()

        @hypothesis_settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy(), signed_in=st.booleans())
        def send(case: schemathesis.Case, signed_in: bool) -> None:
            headers = {"Authorization": f"Bearer {token}"} if signed_in else {}
            response = case.call(base_url=base_url, headers=headers, timeout=60)
            if response.status_code >= 500 and response.status_code != UNAVAILABLE:
                found.append(f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}")

        send()
    return found


async def test_no_generated_request_answers_500(stack: Stack) -> None:
    token = create_operator(stack.engine, name="Amsterdam desk", email="fuzz@ams.example", location_ids=["ams"],
                            is_admin=False, permissions=list(Permission))  # fmt: skip
    base_url = str(stack.http.base_url).rstrip("/")
    errors = await asyncio.to_thread(server_errors, base_url, token, EXAMPLES)
    assert not errors, "\n".join(errors)


def signed_event_errors(base_url: str, sendgrid: FakeSendGrid, examples: int) -> list[str]:
    """Every signed Event Webhook post of generated events (or of any bytes) that answered a server error."""
    found: list[str] = []

    @hypothesis_settings(max_examples=examples * 4, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(body=EVENTS.map(lambda events: json.dumps(events).encode()) | st.binary(max_size=200))
    def send(body: bytes) -> None:
        stamp = str(int(time.time()))
        headers: dict[str, Any] = {"X-Twilio-Email-Event-Webhook-Signature": sendgrid.signature(stamp, body),
                                   "X-Twilio-Email-Event-Webhook-Timestamp": stamp}  # fmt: skip
        response = httpx.post(f"{base_url}/webhooks/sendgrid/events", content=body, headers=headers, timeout=60)
        if response.status_code >= 500:
            found.append(f"{body[:200]!r} → {response.status_code}: {response.text[:300]}")

    send()
    return found


async def test_no_signed_event_webhook_post_answers_500(stack: Stack, sendgrid: FakeSendGrid) -> None:
    base_url = str(stack.http.base_url).rstrip("/")
    errors = await asyncio.to_thread(signed_event_errors, base_url, sendgrid, EXAMPLES)
    assert not errors, "\n".join(errors)


# What Twilio posts, every field of any text; and the paths it posts to, for deliveries that exist and do not.
TWILIO_FIELDS = ["AccountSid", "CallSid", "MessageSid", "CallStatus", "MessageStatus", "AnsweredBy", "From", "To",
                 "Body", "CallDuration", "ErrorCode", "HandoffData", "SmsSid", "NumMedia"]  # fmt: skip
TWILIO_FORMS = st.dictionaries(st.sampled_from(TWILIO_FIELDS) | st.text(max_size=8), st.text(max_size=40), max_size=8)
TWILIO_PATHS = ["/webhooks/twilio/sms", "/webhooks/twilio/calls/{id}", "/webhooks/twilio/messages/{id}",
                "/webhooks/twilio/calls/{id}/twiml", "/webhooks/twilio/calls/{id}/ended"]  # fmt: skip


async def test_no_signed_twilio_post_answers_500(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    temporal: Client,
    fake: FakeTwilio,  # noqa: F811
) -> None:
    """Twilio's callbacks, with its real signature over our public URL, of any form: a refusal or a no-op in our
    words, never a server error. The app is served in-process (Twilio configured: no development routes)."""
    placed_call(engine, fake)  # a call and its text message, placed through the fake Twilio: real deliveries
    with Session(engine) as session:
        targets = [*session.exec(select(Delivery.id)), "nope"]
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, public_base_url=PUBLIC,
                        twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from_number=FROM_NUMBER,
                        reply_token_secret=REPLY_SECRET, portal_link_secret=PORTAL_SECRET)  # fmt: skip
    app = create_app(settings, engine, temporal)
    loop = asyncio.get_running_loop()
    found: list[str] = []
    answered: set[int] = set()
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url=PUBLIC) as http:  # fmt: skip

        @hypothesis_settings(max_examples=EXAMPLES * 4, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(path=st.sampled_from(TWILIO_PATHS), target=st.sampled_from(targets), form=TWILIO_FORMS)
        def send(path: str, target: str, form: dict[str, str]) -> None:
            url = PUBLIC + path.format(id=target)
            headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, form)}
            post = http.post(url, data=form, headers=headers)
            response = asyncio.run_coroutine_threadsafe(post, loop).result(timeout=60)
            answered.add(response.status_code)
            if response.status_code >= 500:
                found.append(f"{path} {form!r} → {response.status_code}: {response.text[:300]}")

        await asyncio.to_thread(send)
    assert not found, "\n".join(found)
    assert any(code < 400 for code in answered), answered  # the signatures were good: the handlers themselves ran
