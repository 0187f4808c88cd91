"""Replies to the AI email coming home through SendGrid Inbound Parse (raw MIME, posted as SendGrid posts it): a
reply lands on its conversation once however often it is posted, only its new text shown, and the AI answers in
the customer's thread; a tampered, expired or other-location reply address attaches to nothing and waits for an
operator, who can attach it; an out-of-office is recorded and never answered; attachments are listed and kept
up to the cap; the webhook refuses what it should, with a reason."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType

from api.main import create_app
from domain import reply_tokens
from domain.ids import conversation_id
from models.tables import Booking, Location
from settings import Settings
from tests.api.test_sendgrid_events import approved_and_sent, fake  # noqa: F401 (the fake SendGrid fixture)
from tests.api.test_web_sessions import sign_in
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, poll
from tests.factories import next_open_weekday
from tests.fakes import mail_clients
from tests.fakes.mail_clients import Reply
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid, inbound_parse
from tests.test_journey import pending_of

SECRET = "inbound-test-secret-of-production-length"
INBOUND = "/webhooks/sendgrid/inbound"
ATTACHMENT_CAP = 2_000
MAX_MAIL = 200_000


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fake: FakeSendGrid) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, sendgrid_api_key=API_KEY,
                    sendgrid_api_url=fake.base_url, sendgrid_webhook_public_key=fake.public_key,
                    reply_token_secret=REPLY_SECRET, portal_link_secret=PORTAL_SECRET, sendgrid_inbound_secret=SECRET,
                    inbound_attachment_max_bytes=ATTACHMENT_CAP, inbound_max_bytes=MAX_MAIL)  # fmt: skip


async def post(stack: Stack, raw: bytes, to: str, secret: str = SECRET) -> httpx.Response:
    """What SendGrid posts: no operator token, the secret as Basic authentication in the URL it was given."""
    body, headers = inbound_parse(raw, [to])
    url = httpx.URL(str(stack.http.base_url)).copy_with(username="sendgrid", password=secret, path=INBOUND)
    async with httpx.AsyncClient() as sendgrid:
        return await sendgrid.post(url, content=body, headers=headers)


def answering(mail: dict[str, Any], new: str, **fields: Any) -> Reply:
    """A reply by the customer to `mail` (as SendGrid took it), to its reply address."""
    fields = {"to": mail["reply_to"]["email"], **fields}
    return Reply(new=new, subject=f"Re: {mail['subject']}", in_reply_to=mail["headers"]["Message-ID"], **fields)


async def timeline(stack: Stack, action_id: str) -> list[dict[str, Any]]:
    return list((await stack.http.get(f"/api/inbox/{action_id}")).json()["timeline"])


async def converse_turns(stack: Stack, action_id: str) -> int:
    history = await stack.client.get_workflow_handle(conversation_id(action_id)).fetch_history()
    return sum(1 for event in history.events
               if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
               and event.activity_task_scheduled_event_attributes.activity_type.name == "converse")  # fmt: skip


async def test_a_reply_lands_once_and_is_answered_in_its_thread(stack: Stack, fake: FakeSendGrid) -> None:  # noqa: F811
    action, mail = await approved_and_sent(stack, fake)
    new = "Grüße! Could you send me the payment link again?"
    reply = answering(mail, new)
    raw = mail_clients.outlook(reply, "Von: Canal House\nGesendet: Montag, 30. November 2026 09:12\nBetreff: "
                                      f"{mail['subject']}", charset="windows-1252")  # fmt: skip
    answers = [await post(stack, raw, reply.to) for _ in range(3)]  # SendGrid retrying
    assert [answer.status_code for answer in answers] == [200, 200, 200], answers[0].text
    assert {answer.json()["id"] for answer in answers} == {answers[0].json()["id"]}
    assert answers[0].json()["status"] == "routed"

    async def answered() -> list[dict[str, Any]] | None:
        entries = [entry for entry in await timeline(stack, action["id"]) if entry["channel"]]
        return entries if [entry["sender"] for entry in entries] == ["ai", "customer", "ai"] else None

    _, customer, ai = await poll(answered, "the AI to answer the reply")
    assert customer["body"] == new  # only the new text, the non-UTF-8 charset read right
    assert customer["source"]["label"] == "Replied to the AI email"
    assert customer["source"]["message_id"] == reply.message_id
    assert await converse_turns(stack, action["id"]) == 1

    _, answer = fake.accepted
    assert answer["subject"] == f"Re: {mail['subject']}"
    assert answer["headers"]["In-Reply-To"] == reply.message_id
    assert answer["headers"]["References"] == f"{mail['headers']['Message-ID']} {reply.message_id}"
    assert answer["reply_to"]["email"].startswith("reply+")  # its answer comes home the same way
    assert ai["source"]["message_id"] == answer["headers"]["Message-ID"]


async def test_a_bad_reply_address_attaches_to_nothing_until_an_operator_attaches_it(
    stack: Stack,
    fake: FakeSendGrid,  # noqa: F811
) -> None:
    action, mail = await approved_and_sent(stack, fake)
    token = reply_tokens.token_in(mail["reply_to"]["email"])
    assert token is not None
    claims = reply_tokens.read(token)
    domain = mail["reply_to"]["email"].rpartition("@")[2]
    later = datetime.now(UTC) + timedelta(days=30)
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    expired = reply_tokens.issue(REPLY_SECRET, claims.delivery_id, action["location_id"],
                                 datetime.now(UTC) - timedelta(days=1))  # fmt: skip
    elsewhere = reply_tokens.issue(REPLY_SECRET, claims.delivery_id, "atx", later)
    for bad, words in ((tampered, "signature does not match"), (expired, "expired"),
                       (elsewhere, "signature does not match")):  # fmt: skip
        reply = answering(mail, "Please call me instead.", to=reply_tokens.address(bad, domain))
        answer = await post(stack, mail_clients.gmail(reply), reply.to)
        assert answer.status_code == 200, answer.text  # taken, so SendGrid does not retry it
        assert answer.json()["status"] == "unmatched"
        assert words in answer.json()["problem"]

    unmatched = (await stack.http.get("/api/inbound", params={"status": "unmatched"})).json()
    assert unmatched["total"] == 3
    assert not [entry for entry in await timeline(stack, action["id"]) if entry["sender"] == "customer"]

    picked = unmatched["items"][0]["id"]
    attached = await stack.http.post(f"/api/inbound/{picked}/attach", json={"proposed_action_id": action["id"]})
    assert attached.status_code == 200, attached.text
    assert attached.json()["status"] == "routed"
    again = await stack.http.post(f"/api/inbound/{picked}/attach", json={"proposed_action_id": action["id"]})
    assert again.status_code == 409 and "already in a conversation" in again.json()["detail"]

    async def answered() -> list[str] | None:
        senders = [entry["sender"] for entry in await timeline(stack, action["id"]) if entry["channel"]]
        return senders if senders == ["ai", "customer", "ai"] else None

    await poll(answered, "the attached mail to be answered")


async def test_an_out_of_office_is_recorded_and_not_answered(stack: Stack, fake: FakeSendGrid) -> None:  # noqa: F811
    action, mail = await approved_and_sent(stack, fake)
    reply = answering(mail, "I am out of the office until 7 December.")
    answer = await post(stack, mail_clients.out_of_office(reply), reply.to)
    assert answer.status_code == 200 and answer.json()["status"] == "routed"
    [entry] = [entry for entry in await timeline(stack, action["id"]) if entry["sender"] == "customer"]
    assert entry["body"] == "I am out of the office until 7 December."
    assert entry["source"]["kind"] == "auto_reply"
    assert entry["source"]["label"] == "Automatic reply: recorded, not answered"
    # The outreach never heard of it: it still waits for a reply, and no conversation began.
    history = await stack.client.get_workflow_handle(action["id"]).fetch_history()
    assert not [
        event for event in history.events if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert (detail["status"], detail["conversation_id"]) == ("sent", None)


async def test_attachments_are_listed_and_kept_up_to_the_cap(stack: Stack, fake: FakeSendGrid) -> None:  # noqa: F811
    action, mail = await approved_and_sent(stack, fake)
    small, large = b"%PDF-1.7 receipt", b"x" * (ATTACHMENT_CAP + 1)
    for name, content in (("receipt.pdf", small), ("scan.pdf", large)):
        reply = answering(mail, f"Attached: {name}")
        answer = await post(stack, mail_clients.with_attachment(reply, name, content), reply.to)
        assert answer.status_code == 200, answer.text

    async def both() -> list[dict[str, Any]] | None:
        entries = [entry for entry in await timeline(stack, action["id"]) if entry["sender"] == "customer"]
        return entries if len(entries) == 2 else None

    entries = sorted(await poll(both, "both replies on the timeline"), key=lambda entry: entry["body"])
    [[kept], [listed]] = [entry["source"]["attachments"] for entry in entries]
    assert (kept["filename"], kept["size"], kept["kept"]) == ("receipt.pdf", len(small), True)
    assert (listed["filename"], listed["size"], listed["kept"], listed["link"]) == ("scan.pdf", len(large), False, None)
    download = await stack.http.get(kept["link"])
    assert download.content == small
    assert download.headers["content-disposition"] == 'attachment; filename="receipt.pdf"'
    assert download.headers["content-type"] == "application/octet-stream"

    # In the web app, the timeline's links open the web app's own pages: a browser has no bearer token.
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as browser:
        await sign_in(browser, stack.admin_token)
        page = await browser.get(f"/app/conversations/{conversation_id(action['id'])}")
        mail_page = f"/app/inbound/{entries[0]['source']['link'].rpartition('/')[2]}"
        assert mail_page in page.text and 'href="/api/' not in page.text
        shown = await browser.get(mail_page)
        assert shown.status_code == 200 and "Attached: receipt.pdf" in shown.text and "receipt.pdf" in shown.text
        file = await browser.get(kept["link"].replace("/api/inbound/", "/app/inbound/"))
        assert file.content == small and file.headers["content-disposition"] == 'attachment; filename="receipt.pdf"'


async def test_the_webhook_refuses_with_a_reason(stack: Stack, fake: FakeSendGrid) -> None:  # noqa: F811
    raw = mail_clients.gmail(Reply(new="Hello"))
    for guess in ("guess", SECRET[:-1], SECRET + "x", "é" + SECRET):
        wrong = await post(stack, raw, "reply+x@canalhouse.example", secret=guess)
        assert wrong.status_code == 401 and "HTTP Basic authentication" in wrong.json()["detail"], wrong.text
        assert wrong.headers["www-authenticate"].startswith("Basic")
    too_large = await post(stack, raw + b"x" * MAX_MAIL, "reply+x@canalhouse.example")
    assert too_large.status_code == 413 and f"{MAX_MAIL:,} bytes" in too_large.json()["detail"]
    async with httpx.AsyncClient(base_url=str(stack.http.base_url)) as anyone:
        unreadable = await anyone.post(INBOUND, json={}, headers={"Authorization": "Basic %%%"})
        assert unreadable.status_code == 401
    async with httpx.AsyncClient(base_url=str(stack.http.base_url), auth=("sendgrid", SECRET)) as sendgrid:
        moved = await sendgrid.post(f"{INBOUND}/{SECRET}", content=raw)
        assert moved.status_code == 410 and "HTTP Basic authentication" in moved.json()["detail"]
        as_json = await sendgrid.post(INBOUND, json={"email": "x"})
        assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["detail"]
        body, headers = inbound_parse(raw, ["reply+x@canalhouse.example"])
        unraw = await sendgrid.post(INBOUND, content=body.replace(b'name="email"', b'name="text"'), headers=headers)
        assert unraw.status_code == 422 and "raw, full MIME message" in unraw.json()["detail"]
    stranger = await post(stack, mail_clients.gmail(Reply(new="Hi", to="hello@canalhouse.example")),
                          "hello@canalhouse.example")  # fmt: skip
    assert stranger.json()["status"] == "unmatched" and "not sent to a reply address" in stranger.json()["problem"]


async def test_without_a_secret_the_inbound_webhook_says_what_to_configure(tmp_path: Path, database_url: str) -> None:
    app = create_app(Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://api") as http:  # fmt: skip
        answer = await http.post("/webhooks/sendgrid/inbound", content=b"")
    assert answer.status_code == 503
    assert "OUTREACH_SENDGRID_INBOUND_SECRET" in answer.json()["detail"]


async def test_a_ticket_thread_carries_the_customer_the_ai_and_the_team(
    stack: Stack,
    fake: FakeSendGrid,  # noqa: F811
) -> None:
    action = await stack.pending_email()
    approved = await stack.http.post(f"/api/inbox/{action['id']}/approve",
                                     json={"channel": "helpdesk", "internal_notes": "Call before Friday"})  # fmt: skip
    assert approved.status_code == 200, approved.text

    async def notified() -> dict[str, Any] | None:
        return fake.accepted[0] if fake.accepted else None

    notification = await poll(notified, "the ticket's email to the customer")
    tickets = (await stack.http.get("/api/helpdesk/tickets", params={"location_id": "ams"})).json()["items"]
    [ticket] = [opened for opened in tickets if opened["proposed_action_id"] == action["id"]]
    assert notification["subject"].startswith(f"[{ticket['number']}] ")
    thread_subject = f"Re: {notification['subject']}"

    # The customer answers the ticket's email: a comment on the ticket, on the timeline, and answered.
    reply = answering(notification, "Which invoice was this again?")
    assert (await post(stack, mail_clients.gmail(reply), reply.to)).json()["status"] == "routed"

    async def mails(count: int) -> list[dict[str, Any]] | None:
        return list(fake.accepted) if len(fake.accepted) >= count else None

    _, ai_answer = await poll(lambda: mails(2), "the AI's answer in the ticket's thread")
    assert ai_answer["subject"] == thread_subject
    assert ai_answer["headers"]["In-Reply-To"] == reply.message_id

    async def comments(count: int) -> list[dict[str, Any]] | None:
        found = (await stack.http.get(f"/api/helpdesk/tickets/{ticket['id']}")).json()["comments"]
        return found if len([comment for comment in found if comment["public"]]) >= count else None

    found = await poll(lambda: comments(3), "the reply and the answer on the ticket")
    public = [(comment["author"], comment["public"]) for comment in found]
    assert public == [("operator", True), ("operator", False), ("customer", True), ("ai", True)]
    assert "Which invoice was this again?" in found[2]["body_html"]

    # The team replies on the ticket: it reaches the customer by email, in the ticket's thread.
    reply_html = {"body_html": "<p>Yes: half now, half next month.</p>", "public": True}
    answered = await stack.http.post(f"/api/helpdesk/tickets/{ticket['id']}/comments", json=reply_html)
    assert answered.status_code == 201, answered.text
    note = await stack.http.post(f"/api/helpdesk/tickets/{ticket['id']}/comments",
                                 json={"body_html": "<p>Approved by finance.</p>", "public": False})  # fmt: skip
    assert note.status_code == 201
    *_, team_mail = await poll(lambda: mails(3), "the team's reply by email")
    assert team_mail["subject"] == thread_subject
    assert "half now, half next month" in team_mail["content"][1]["value"]
    assert team_mail["headers"]["In-Reply-To"] == ai_answer["headers"]["Message-ID"]
    assert team_mail["headers"]["References"].split() == [
        notification["headers"]["Message-ID"], reply.message_id, ai_answer["headers"]["Message-ID"]]  # fmt: skip

    # A comment the customer makes through the help desk itself is theirs on the timeline too.
    by_portal = await stack.http.post(f"/api/helpdesk/tickets/{ticket['id']}/requester-comments",
                                      json={"body": "Could you send me the link once more?"})  # fmt: skip
    assert by_portal.status_code == 202, by_portal.text
    await poll(lambda: mails(4), "the AI's answer to the portal comment")

    entries = [entry for entry in await timeline(stack, action["id"]) if entry["channel"] == "helpdesk"]
    said = [(entry["sender"], entry["body"]) for entry in entries]
    assert ("customer", "Which invoice was this again?") in said
    assert ("operator", "Yes: half now, half next month.") in said
    assert ("customer", "Could you send me the link once more?") in said
    assert not any("Approved by finance" in body for _, body in said)  # notes stay with the team
    labels = {entry["body"]: entry["source"]["label"] for entry in entries if entry["sender"] == "customer"}
    assert labels == {"Which invoice was this again?": "Commented on the ticket by email",
                      "Could you send me the link once more?": "Commented on the ticket"}  # fmt: skip

    # A dispute on the ticket goes back to the team on the same ticket, raised, with the brief as a note.
    disputed = await stack.http.post(f"/api/helpdesk/tickets/{ticket['id']}/requester-comments",
                                     json={"body": "Actually I dispute this charge, it is wrong."})  # fmt: skip
    assert disputed.status_code == 202, disputed.text

    async def escalated() -> dict[str, Any] | None:
        found = (await stack.http.get(f"/api/conversations/{conversation_id(action['id'])}")).json()
        return found if found["status"] == "escalated" else None

    await poll(escalated, "the dispute to go to the team")
    listed = (await stack.http.get("/api/helpdesk/tickets", params={"location_id": "ams"})).json()["items"]
    assert [item["id"] for item in listed if item["proposed_action_id"] == action["id"]] == [ticket["id"]]
    assert len(listed) == len(tickets)  # the demo's own, and this one: no new ticket
    again = (await stack.http.get(f"/api/helpdesk/tickets/{ticket['id']}")).json()
    assert again["priority"] in ("high", "critical") and again["status"] == "open"
    brief = again["comments"][-1]
    assert not brief["public"] and "Escalated by the AI</strong> (dispute" in brief["body_html"]
    assert "Which invoice was this again?" in brief["body_html"]  # the transcript


async def test_a_forwarded_emails_reader_is_answered_but_books_nothing_and_the_team_is_told(
    stack: Stack,
    fake: FakeSendGrid,  # noqa: F811
) -> None:
    """A reply address is a bearer token for whoever holds the email: the customer's colleague it was forwarded
    to may ask, but a day pass is not bought in the customer's name on a stranger's word."""
    action = await pending_of(stack, "lead_follow_up")
    assert (await stack.http.post(f"/api/inbox/{action['id']}/approve", json={})).status_code == 200
    mail = await poll(lambda: _taken(fake, action["id"]), "the follow-up to reach SendGrid")
    with Session(stack.engine) as session:
        location = session.get(Location, "ams")
        assert location is not None
    next_weekday, _ = next_open_weekday(location)
    reply = answering(mail, f"Yes please, book me a day pass for {next_weekday}.", sender="colleague@elsewhere.example",
                      sender_name="A Colleague")  # fmt: skip
    assert (await post(stack, mail_clients.gmail(reply), reply.to)).json()["status"] == "routed"

    async def answered() -> list[dict[str, Any]] | None:
        entries = await timeline(stack, action["id"])
        said = [entry for entry in entries if entry["sender"] == "ai" and entry["channel"]]
        return entries if len(said) >= 2 else None  # the follow-up, and the answer

    entries = await poll(answered, "the AI to answer the forwarded email's reader")
    answer = [entry for entry in entries if entry["sender"] == "ai" and entry["channel"]][-1]["body"]
    assert "Your day pass is for" not in answer
    flags = [entry["body"] for entry in entries if entry["sender"] == "system"]
    assert any("colleague@elsewhere.example" in flag and "books and buys nothing" in flag for flag in flags), flags
    with Session(stack.engine) as session:
        assert not session.exec(select(Booking).where(col(Booking.customer_id) == action["customer"]["id"])).all()
    tools = [entry["body"] for entry in entries if entry.get("tool") == "buy_day_pass"]
    assert not tools or all("did not come from the customer's own email address" in tool for tool in tools)


async def _taken(fake: FakeSendGrid, action_id: str) -> dict[str, Any] | None:  # noqa: F811
    return next((mail for mail in fake.accepted if mail["custom_args"].get("action_id") == action_id), None)
