"""The AI email end to end through SendGrid's API and its signed Event Webhook: an operator approves, SendGrid
takes the mail, and what SendGrid reports afterwards — delivered, bounced, a spam complaint — lands on the
delivery, the timeline, the proposal and the customer's consent, once. Forged, stale and unsigned posts change
nothing."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from api.main import create_app
from models.messages import DeliveryStatus
from models.tables import Customer, Delivery, ProviderEvent, TimelineEntry
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, poll
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid, fake_sendgrid

EVENTS = "/webhooks/sendgrid/events"


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with fake_sendgrid() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fake: FakeSendGrid) -> Settings:
    """The stack with the AI email going through (fake) SendGrid."""
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, sendgrid_api_key=API_KEY,
                    sendgrid_api_url=fake.base_url, sendgrid_webhook_public_key=fake.public_key,
                    reply_token_secret=REPLY_SECRET, portal_link_secret=PORTAL_SECRET)  # fmt: skip


async def approved_and_sent(stack: Stack, fake: FakeSendGrid) -> tuple[dict[str, Any], dict[str, Any]]:
    action = await stack.pending_email()
    answer = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={})
    assert answer.status_code == 200, answer.text

    async def sent() -> dict[str, Any] | None:
        detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
        return detail if detail["status"] == "sent" else None

    await poll(sent, "the approved email to be sent")
    [mail] = fake.accepted
    return action, mail


def row(stack: Stack, action_id: str) -> Delivery:
    with Session(stack.engine) as session:
        return session.exec(select(Delivery).where(Delivery.proposed_action_id == action_id)).one()


def timeline(stack: Stack, action_id: str) -> list[str]:
    with Session(stack.engine) as session:
        entries = session.exec(select(TimelineEntry).where(TimelineEntry.proposed_action_id == action_id)).all()
        return [entry.body for entry in entries]


async def post(stack: Stack, body: bytes, headers: dict[str, str]) -> httpx.Response:
    # No operator token: a webhook is authenticated by its signature alone.
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as sendgrid:
        return await sendgrid.post(EVENTS, content=body, headers=headers)


async def test_delivered_then_bounced_fails_the_proposal_with_a_reason(stack: Stack, fake: FakeSendGrid) -> None:
    action, mail = await approved_and_sent(stack, fake)
    sent = row(stack, action["id"])
    assert (sent.provider, sent.provider_message_id) == ("sendgrid", mail["x_message_id"])
    items = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
    [message] = [item for item in items if item["delivery_id"] == sent.id]
    assert (message["sender"], message["channel"]) == ("ai", "ai_email")
    assert message["source"] == {"provider": "sendgrid", "provider_id": mail["x_message_id"], "status": "sent",
                                 "message_id": sent.message_id, "link": None, "kind": None, "label": None,
                                 "attachments": []}  # fmt: skip

    body, headers = fake.signed([fake.event(mail, "processed"), fake.event(mail, "delivered")])
    assert (await post(stack, body, headers)).status_code == 204
    assert (await post(stack, body, headers)).status_code == 204  # SendGrid retrying: applied once
    assert row(stack, action["id"]).status is DeliveryStatus.delivered
    assert timeline(stack, action["id"]).count(f"Delivered to {sent.to_address}.") == 1

    bounce = fake.event(mail, "bounce", reason="550 5.1.1 The email account does not exist")
    assert (await post(stack, *fake.signed([bounce]))).status_code == 204

    async def failed() -> dict[str, Any] | None:
        detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
        return detail if detail["status"] == "failed" else None

    await poll(failed, "the bounce to fail the proposal")
    assert row(stack, action["id"]).status is DeliveryStatus.bounced
    bodies = timeline(stack, action["id"])
    expected = (f"The email to {sent.to_address} bounced (550 5.1.1 The email account does not exist). "
                "Check the address, or reach the customer another way.")  # fmt: skip
    assert expected in bodies
    assert f"Delivery failed: {expected}" in bodies


async def test_a_spam_complaint_opts_the_customer_out(stack: Stack, fake: FakeSendGrid) -> None:
    action, mail = await approved_and_sent(stack, fake)
    assert (await post(stack, *fake.signed([fake.event(mail, "spamreport")]))).status_code == 204
    with Session(stack.engine) as session:
        customer = session.get(Customer, row(stack, action["id"]).customer_id)
        assert customer is not None and customer.opted_out


async def test_forged_stale_and_unsigned_posts_change_nothing(stack: Stack, fake: FakeSendGrid) -> None:
    action, mail = await approved_and_sent(stack, fake)
    bounce = [fake.event(mail, "bounce", reason="forged")]
    body, headers = fake.signed(bounce)
    other = FakeSendGrid()  # another key: a forger's
    _, forged_headers = other.signed(bounce, timestamp=int(headers["X-Twilio-Email-Event-Webhook-Timestamp"]))
    tampered = body.replace(b"forged", b"tampered")
    stale_body, stale_headers = fake.signed(bounce, timestamp=int(time.time()) - 3600)
    unsigned = {"Content-Type": "application/json"}
    for attempt_body, attempt_headers, words in (
        (body, forged_headers, "signature does not match"),
        (tampered, headers, "signature does not match"),
        (stale_body, stale_headers, "stale"),
        (body, unsigned, "signed by SendGrid"),
        (body, {**headers, "X-Twilio-Email-Event-Webhook-Signature": "not base64!"}, "signature does not match"),
    ):
        answer = await post(stack, attempt_body, attempt_headers)
        assert answer.status_code == 403, answer.text
        assert words in answer.json()["detail"]
    assert row(stack, action["id"]).status is DeliveryStatus.sent
    with Session(stack.engine) as session:
        assert session.exec(select(ProviderEvent)).all() == []
    assert (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "sent"


async def test_a_signed_body_that_is_not_a_list_of_events_is_a_400(stack: Stack, fake: FakeSendGrid) -> None:
    for body in (b"{not json", b'{"event": "delivered"}'):
        stamp = str(int(time.time()))
        headers = {"X-Twilio-Email-Event-Webhook-Timestamp": stamp,
                   "X-Twilio-Email-Event-Webhook-Signature": fake.signature(stamp, body)}  # fmt: skip
        answer = await post(stack, body, headers)
        assert answer.status_code == 400 and answer.json()["detail"] == "The body is not a JSON list of events."


async def test_without_a_verification_key_the_webhook_says_what_to_configure(tmp_path: Path, database_url: str) -> None:
    app = create_app(Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://api") as http:  # fmt: skip
        answer = await http.post(EVENTS, content=b"[]")
    assert answer.status_code == 503
    assert "OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY" in answer.json()["detail"]


async def test_signed_events_of_text_no_database_takes_are_read_not_refused_with_500(
    stack: Stack,
    fake: FakeSendGrid,
) -> None:
    """JSON may carry what no database stores (lone surrogates, NUL) and any type where text belongs; a signed
    post of it is read as far as it goes (found by the fuzz run, on PostgreSQL)."""
    events: list[dict[str, Any]] = [
        {"sg_event_id": "event-\udaca\x00", "event": "delivered\udc1e", "email": "a\x00@b.example",
         "delivery_id": "\udaca", "sg_message_id": "x\udc00.filter"},
        {"sg_event_id": 5, "event": [], "delivery_id": {}, "sg_message_id": []},
    ]  # fmt: skip
    body, headers = fake.signed(events)
    answer = await post(stack, body, headers)
    assert answer.status_code == 204, answer.text
    assert (await post(stack, body, headers)).status_code == 204  # and again: the same events, applied once
