"""Requests generated from the API's own OpenAPI document — every operation, valid and invalid input alike — sent
over real HTTP by an operator of one location with every permission, and by a stranger without a token; and
SendGrid's Event Webhook posts of any JSON, signed with its real key: none may answer a server error (503 is the
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

from models.operators import Permission, create_operator
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack
from tests.fakes.sendgrid_server import FakeSendGrid, fake_sendgrid

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
