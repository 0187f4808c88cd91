"""The members' chat over HTTP: a customer signed in by the chat link their portal asked for talks to the same AI
with the same tools — their invoices, the opening hours, a day pass for next Tuesday (bought once, however often
the message is sent) — and reaches the team: an escalation ticket with the whole chat, what they write next goes
to the ticket, the team answers by email (through the fake SendGrid), and their answer to that email comes back
to the ticket. Who may ask for a chat link, and what the chat refuses, and why."""

from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, col, select

from api.main import create_app
from domain import portal_links
from models.operators import Permission, create_operator
from models.tables import Booking, Customer, Delivery, Invoice, Location, Resource, Ticket, TicketComment
from settings import Settings
from tests.api.test_inbound_replies import SECRET, answering, post
from tests.api.test_sendgrid_events import fake  # noqa: F401 (the fake SendGrid fixture)
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, poll
from tests.factories import next_open_weekday
from tests.fakes import mail_clients
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fake: FakeSendGrid) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, sendgrid_api_key=API_KEY,
                    sendgrid_api_url=fake.base_url, sendgrid_webhook_public_key=fake.public_key,
                    reply_token_secret=REPLY_SECRET, sendgrid_inbound_secret=SECRET,
                    portal_link_secret=PORTAL_SECRET)  # fmt: skip


def member_with_open_invoice(stack: Stack) -> tuple[Customer, Invoice, Location]:
    with Session(stack.engine) as session:
        found = session.exec(
            select(Customer, Invoice)
            .join(Invoice, col(Invoice.customer_id) == col(Customer.id))
            .where(col(Customer.location_id) == "ams", col(Customer.email).is_not(None),
                   col(Invoice.paid_at).is_(None), col(Customer.opted_out).is_(False))
            .order_by(col(Customer.id))
        ).first()  # fmt: skip
        assert found is not None, "the demo has a member with an open invoice at ams"
        location = session.get(Location, "ams")
        assert location is not None
        return found[0], found[1], location


async def signed_in(stack: Stack, customer_id: str) -> dict[str, str]:
    issued = await stack.http.post(f"/api/customers/{customer_id}/chat-link")
    assert issued.status_code == 200, issued.text
    return {"X-Chat-Link": issued.json()["link"]}


async def say(stack: Stack, link: dict[str, str], text: str, message_id: str | None = None) -> dict[str, Any]:
    body = {"text": text, **({"message_id": message_id} if message_id else {})}
    answer = await stack.http.post("/api/chat/messages", json=body, headers={"Authorization": "", **link})
    assert answer.status_code == 200, answer.text
    return answer.json()


def rooms_booked(stack: Stack, customer: Customer) -> list[tuple[str, datetime]]:
    with Session(stack.engine) as session:
        in_the_chat = col(Booking.conversation_id) == f"chat:{customer.id}"
        rooms = (select(Resource.name, Booking.starts_at).join(Resource, col(Resource.id) == col(Booking.resource_id))
                 .where(in_the_chat, col(Booking.kind) != "day_pass"))  # fmt: skip
        return list(session.exec(rooms).all())


async def test_a_member_chats_with_the_ai_gets_a_day_pass_and_reaches_the_team(
    stack: Stack,
    fake: FakeSendGrid,  # noqa: F811
) -> None:
    customer, invoice, location = member_with_open_invoice(stack)
    link = await signed_in(stack, customer.id)

    hours = await say(stack, link, "What are your opening hours?")
    assert hours["status"] == "open" and hours["conversation_id"] == f"chat:{customer.id}"
    assert location.address in unescape(hours["reply_html"]) and "Monday" in hours["reply_html"]

    invoices = await say(stack, link, "Do I have any unpaid invoices?")
    assert invoice.number in invoices["reply_html"]
    assert (
        f"{location.portal_url}/pay-invoice?customer={customer.id}&amp;ref={invoice.number}" in invoices["reply_html"]
    )

    # A day pass for next Tuesday (or the next weekday the location opens), in the location's own calendar; the
    # same message sent twice is one pass.
    next_weekday, tuesday = next_open_weekday(location)
    asked = f"Can I get a day pass for {next_weekday}?"
    day_pass = await say(stack, link, asked, message_id="day-pass-1")
    again = await say(stack, link, asked, message_id="day-pass-1")
    assert again == day_pass
    assert f"{tuesday:%A} {tuesday.day} {tuesday:%B}" in day_pass["reply_html"]
    assert "CanalHouse-Members" in day_pass["reply_html"]  # the Wi-Fi
    with Session(stack.engine) as session:
        passes = session.exec(select(Booking).where(col(Booking.customer_id) == customer.id,
                                                    col(Booking.kind) == "day_pass")).all()  # fmt: skip
        assert [booking.starts_at.astimezone(ZoneInfo(location.time_zone)).date() for booking in passes] == [tuesday]

    # A room is proposed, not booked; the member's yes books it.
    room = await say(stack, link, f"Is a meeting room free {next_weekday} from 10 to 12 for 4 people?")
    assert "Shall I book" in room["reply_html"] and room["status"] == "open"
    assert rooms_booked(stack, customer) == []
    booked = await say(stack, link, "Yes please!")
    assert "is booked for you" in booked["reply_html"]
    [(name, starts)] = rooms_booked(stack, customer)
    assert name in unescape(room["reply_html"]).split("Shall I book")[1]  # the one proposed
    assert starts.astimezone(ZoneInfo(location.time_zone)).replace(tzinfo=None) == datetime(
        tuesday.year, tuesday.month, tuesday.day, 10
    )

    # Asking for a person escalates: a ticket with the whole chat, what the AI tried, and who the customer is.
    handed = await say(stack, link, "I'd like to talk to a person about my membership, please.")
    assert handed["status"] == "escalated" and "follow up by email" in handed["reply_html"]
    with Session(stack.engine) as session:
        [ticket] = session.exec(select(Ticket).where(col(Ticket.conversation_id) == f"chat:{customer.id}")).all()
        assert ticket.proposed_action_id is None and ticket.subject == "Members' chat"
        [brief] = session.exec(select(TicketComment).where(col(TicketComment.ticket_id) == ticket.id,
                                                           col(TicketComment.public).is_(False))).all()  # fmt: skip
    assert (brief.author, brief.author_name) == ("ai", "Canal House Amsterdam AI assistant")  # the AI's own avatar
    note = unescape(brief.body_html)
    for expected in (
        "A members' chat the customer started.",
        "Transcript</strong> (chat)",
        "What are your opening hours?",
        asked,
        "Bought a day pass for the customer",
        f"Open invoice {invoice.number}",
        customer.name,
    ):
        assert expected in note, expected

    # From now on the team has it: the next message goes to the ticket, and the AI says nothing.
    waiting = await say(stack, link, "Also: can I bring my dog?")
    assert (waiting["status"], waiting["reply_html"]) == ("escalated", "")
    assert waiting["notice"] == "Your message is with our team; they will answer you by email."
    with Session(stack.engine) as session:
        said = [
            comment.body_html
            for comment in session.exec(
                select(TicketComment).where(col(TicketComment.ticket_id) == ticket.id, col(TicketComment.public))
            )
        ]
        assert any("can I bring my dog?" in body for body in said)

    # The team answers on the ticket: an email to the customer, through SendGrid, in the ticket's thread.
    team = await stack.http.post(f"/api/helpdesk/tickets/{ticket.id}/comments",
                                 json={"body_html": "<p>Dogs are welcome on Fridays.</p>", "public": True})  # fmt: skip
    assert team.status_code == 201, team.text

    async def emailed() -> dict[str, Any] | None:
        return next((mail for mail in fake.accepted if "Dogs are welcome" in mail["content"][1]["value"]), None)

    mail = await poll(emailed, "the team's answer by email")
    assert mail["personalizations"][0]["to"][0]["email"] == customer.email
    assert mail["subject"] == f"[{ticket.number}] Members' chat"
    with Session(stack.engine) as session:
        [delivery] = session.exec(select(Delivery).where(col(Delivery.conversation_id) == f"chat:{customer.id}")).all()
        assert (delivery.proposed_action_id, delivery.agent_type) == (None, None)

    # The customer answers that email: back to the ticket (the team's), never to the AI.
    reply = answering(mail, "Great, see you Friday!")
    routed = await post(stack, mail_clients.gmail(reply), reply.to)
    assert routed.json()["status"] == "routed", routed.text

    async def on_ticket() -> bool:
        with Session(stack.engine) as session:
            return any("see you Friday" in comment.body_html for comment in session.exec(
                select(TicketComment).where(col(TicketComment.ticket_id) == ticket.id)))  # fmt: skip

    await poll(on_ticket, "the customer's answer on the ticket")
    # As is a comment they make through the help desk itself.
    by_portal = await stack.http.post(f"/api/helpdesk/tickets/{ticket.id}/requester-comments",
                                      json={"body": "And is there parking?"})  # fmt: skip
    assert by_portal.status_code == 202, by_portal.text

    # The chat's transcript, for the customer: both ways, the team's email included, no tool steps.
    transcript = (await stack.http.get("/api/chat/transcript", headers={"Authorization": "", **link})).json()
    lines = [(line["sender"], line["body"]) for line in transcript["lines"]]
    assert transcript["status"] == "escalated"
    assert lines[0] == ("customer", "What are your opening hours?") and lines[1][0] == "ai"
    assert [sender for sender, _ in lines].count("customer") == 9  # the day pass, sent twice, is one message
    assert ("operator", "Dogs are welcome on Fridays.") in lines
    assert lines[-2:] == [("customer", "Great, see you Friday!"), ("customer", "And is there parking?")]

    # For the operators: a conversation like any other, with no proposal, every step on its timeline.
    detail = (await stack.http.get(f"/api/conversations/chat:{customer.id}")).json()
    assert (detail["proposed_action_id"], detail["channel"], detail["status"]) == (None, "chat", "escalated")
    tools = [entry["tool"] for entry in detail["timeline"] if entry["tool"]]
    assert tools == [
        "location_details",
        "invoice_details",
        "check_availability",
        "buy_day_pass",
        "check_availability",
        "book_resource",
    ]
    assert any(entry["ticket_id"] == ticket.id for entry in detail["timeline"])
    listed = (await stack.http.get("/api/conversations", params={"q": "members"})).json()["items"]
    assert f"chat:{customer.id}" in [item["id"] for item in listed]
    austin = stack.as_operator(create_operator(stack.engine, name="Austin desk", email="desk@atx.example",
                                               location_ids=["atx"], is_admin=False))  # fmt: skip
    assert (await stack.http.get(f"/api/conversations/chat:{customer.id}", headers=austin)).status_code == 404


async def test_the_chat_signs_in_only_with_a_valid_chat_link(stack: Stack) -> None:
    customer, _, location = member_with_open_invoice(stack)
    desk = stack.as_operator(create_operator(stack.engine, name="Desk", email="desk@ams.example",
                                             location_ids=["ams"], is_admin=False))  # fmt: skip
    refused = await stack.http.post(f"/api/customers/{customer.id}/chat-link", headers=desk)
    assert refused.status_code == 403 and "memberChat" in refused.json()["detail"]
    portal = stack.as_operator(create_operator(stack.engine, name="Austin portal", email="portal@atx.example",
                                               location_ids=["atx"], is_admin=False,
                                               permissions=[Permission.member_chat]))  # fmt: skip
    assert (await stack.http.post(f"/api/customers/{customer.id}/chat-link", headers=portal)).status_code == 404

    link = (await signed_in(stack, customer.id))["X-Chat-Link"]
    parts = urlsplit(link)
    fields = {name: values[0] for name, values in parse_qs(parts.query).items()}
    someone_else = parts._replace(query=urlencode({**fields, "customer": f"{customer.id}0"})).geturl()
    not_ascii = parts._replace(query=urlencode({**fields, "sig": "é" + fields["sig"][1:]})).geturl()
    expired_at = datetime.now(UTC) - timedelta(minutes=1)
    expired = portal_links.make(PORTAL_SECRET, location.portal_url,
                                portal_links.PortalLink("chat", customer.id, "", expired_at))  # fmt: skip
    tomorrow = expired_at + timedelta(days=1)
    profile = portal_links.make(PORTAL_SECRET, location.portal_url,
                                portal_links.PortalLink("profile", customer.id, "", tomorrow))  # fmt: skip
    cases = [
        (None, "Missing chat link"),
        (someone_else, "it was altered"),
        (not_ascii, "it was altered"),
        (expired, "The link expired on"),
        (profile, "does not sign anyone in to the chat"),
        ("https://portal.example/chat", "The link is incomplete"),
    ]
    for sent, detail in cases:
        headers = {"Authorization": "", **({"X-Chat-Link": sent} if sent else {})}
        answer = await stack.http.post("/api/chat/messages", json={"text": "Hello"}, headers=headers)
        assert answer.status_code == 401 and detail in answer.json()["detail"], (sent, answer.text)
        assert (await stack.http.get("/api/chat/transcript", headers=headers)).status_code == 401

    signed = {"Authorization": "", "X-Chat-Link": link}
    for body, detail in [({"text": "   "}, "the message is empty"), ({"text": "x" * 4_001}, "at most 4000"),
                         ({"text": "Hi", "message_id": "a b"}, "message_id: String should match")]:  # fmt: skip
        answer = await stack.http.post("/api/chat/messages", json=body, headers=signed)
        assert answer.status_code == 422 and detail in answer.json()["detail"], answer.text
    empty = (await stack.http.get("/api/chat/transcript", headers=signed)).json()
    assert empty == {"conversation_id": None, "status": None, "lines": []}


async def test_without_its_own_secret_the_chat_is_off(tmp_path: Path, database_url: str) -> None:
    app = create_app(Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://api") as http:  # fmt: skip
        answer = await http.post("/api/chat/messages", json={"text": "Hi"}, headers={"X-Chat-Link": "x"})
    assert answer.status_code == 503 and "OUTREACH_PORTAL_LINK_SECRET" in answer.json()["detail"]
