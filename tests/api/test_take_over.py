"""The team in a conversation, over HTTP: an operator takes a conversation over from the AI, the customer's messages
wait for them (the AI answers none), the operator answers on the conversation's channel — in the members' chat, or
by email in the customer's thread through the fake SendGrid — once however often the answer is posted, and hands it
back: the AI answers first what the customer wrote since. Who may, and what is refused, in words."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from models.operators import Permission, create_operator
from tests.api.test_inbound_replies import answering, converse_turns, post, timeline
from tests.api.test_members_chat import member_with_open_invoice, say, settings, signed_in  # noqa: F401
from tests.api.test_sendgrid_events import approved_and_sent, fake  # noqa: F401 (the fake SendGrid fixture)
from tests.conftest import Stack, poll
from tests.fakes import mail_clients
from tests.fakes.sendgrid_server import FakeSendGrid


async def transcript(stack: Stack, link: dict[str, str]) -> list[tuple[str, str]]:
    found = (await stack.http.get("/api/chat/transcript", headers={"Authorization": "", **link})).json()
    return [(line["sender"], line["body"]) for line in found["lines"]]


async def test_an_operator_takes_a_chat_over_answers_in_it_and_hands_it_back(stack: Stack) -> None:
    customer, invoice, _ = member_with_open_invoice(stack)
    link = await signed_in(stack, customer.id)
    conversation = f"chat:{customer.id}"
    assert (await say(stack, link, "What are your opening hours?"))["reply_html"]

    taken = await stack.http.post(f"/api/conversations/{conversation}/take-over")
    assert taken.status_code == 200, taken.text
    me = taken.json()["taken_over_by"]
    assert me is not None and taken.json()["status"] == "open"
    assert any(f"{me['name']} took the conversation over from the AI" in entry["body"]
               for entry in taken.json()["timeline"])  # fmt: skip
    listed = (await stack.http.get("/api/conversations", params={"q": "members"})).json()["items"]
    assert next(item for item in listed if item["id"] == conversation)["taken_over_by"] == me

    # The customer writes: the team has it, so the AI says nothing and the chat says who will answer.
    waiting = await say(stack, link, "Is the Loft free on Friday afternoon?")
    assert (waiting["reply_html"], waiting["status"]) == ("", "open")
    assert waiting["notice"] == "Your message is with our team; they will answer you here."

    # The operator answers in the chat: once, however often the same answer is posted.
    answer = {"text": "Hi! The Loft is free on Friday from 13:00; shall I hold it for you?", "request_id": "r-1"}
    for _ in range(2):
        replied = await stack.http.post(f"/api/conversations/{conversation}/replies", json=answer)
        assert replied.status_code == 200, replied.text
    lines = await transcript(stack, link)
    assert lines[-2:] == [("customer", "Is the Loft free on Friday afternoon?"), ("operator", answer["text"])]
    assert lines.count(("operator", answer["text"])) == 1

    # Another message while the operator has it, then the operator hands it back: the AI answers that message.
    assert (await say(stack, link, "And do I have any unpaid invoices?"))["notice"]
    handed = await stack.http.post(f"/api/conversations/{conversation}/hand-back")
    assert handed.status_code == 200, handed.text
    assert handed.json()["taken_over_by"] is None
    assert any(f"{me['name']} handed the conversation back to the AI" in entry["body"]
               for entry in handed.json()["timeline"])  # fmt: skip

    async def answered() -> list[tuple[str, str]] | None:
        lines = await transcript(stack, link)
        return lines if lines[-1][0] == "ai" and invoice.number in lines[-1][1] else None

    lines = await poll(answered, "the AI to answer what was written while the team had the chat")
    assert [sender for sender, _ in lines] == ["customer", "ai", "customer", "operator", "customer", "ai"]
    # And it answers the next message at once again.
    assert (await say(stack, link, "Thanks! What is the Wi-Fi password?"))["reply_html"]


async def test_who_may_take_a_conversation_over_and_when(stack: Stack) -> None:
    customer, _, _ = member_with_open_invoice(stack)
    link = await signed_in(stack, customer.id)
    conversation = f"chat:{customer.id}"
    path = f"/api/conversations/{conversation}"
    answer = {"text": "Hello", "request_id": "r-1"}

    # An operator of another location does not see it; one who may not review may not act in it.
    austin = stack.as_operator(create_operator(stack.engine, name="Austin desk", email="desk@atx.example",
                                               location_ids=["atx"], is_admin=False))  # fmt: skip
    reader = stack.as_operator(create_operator(stack.engine, name="Reader", email="reader@ams.example",
                                               location_ids=["ams"], is_admin=False,
                                               permissions=[Permission.space_events]))  # fmt: skip
    await say(stack, link, "Hi, what are your opening hours?")
    for action, body in (("take-over", None), ("replies", answer), ("hand-back", None)):
        unseen = await stack.http.post(f"{path}/{action}", json=body, headers=austin)
        assert unseen.status_code == 404 and "No conversation" in unseen.json()["detail"]
        refused = await stack.http.post(f"{path}/{action}", json=body, headers=reader)
        assert refused.status_code == 403 and "proposedAction" in refused.json()["detail"]
    assert (await stack.http.get(path)).json()["taken_over_by"] is None

    # A reply says what is wrong with it.
    for bad, words in (({"text": "", "request_id": "r"}, "text"), ({"text": "Hi"}, "request_id"),
                       ({"text": "Hi\x00", "request_id": "r"}, "NUL")):  # fmt: skip
        refused = await stack.http.post(f"{path}/replies", json=bad)
        assert refused.status_code == 422 and words in str(refused.json()["detail"])

    # Once the conversation is over (escalated here), there is nothing to take over: answer on the ticket.
    assert (await say(stack, link, "I want to talk to a person please"))["status"] == "escalated"

    async def ended() -> dict[str, Any] | None:
        found = await stack.http.post(f"{path}/take-over")
        return found.json() if found.status_code == 409 else None

    said = await poll(ended, "the escalated conversation to end")
    assert "escalated" in said["detail"] and "ticket" in said["detail"]
    unknown = await stack.http.post(f"/api/conversations/chat:{uuid.uuid4()}/take-over")
    assert unknown.status_code == 404


@pytest.mark.one_database  # its subject is the thread on the wire
async def test_an_operator_answers_an_email_conversation_in_the_customers_thread(
    stack: Stack,
    fake: FakeSendGrid,  # noqa: F811
) -> None:
    action, mail = await approved_and_sent(stack, fake)
    first = answering(mail, "Could you send me the payment link again?")
    assert (await post(stack, mail_clients.gmail(first), first.to)).json()["status"] == "routed"

    async def senders(expected: list[str]) -> list[dict[str, Any]] | None:
        entries = [entry for entry in await timeline(stack, action["id"]) if entry["channel"]]
        return entries if [entry["sender"] for entry in entries] == expected else None

    await poll(lambda: senders(["ai", "customer", "ai"]), "the AI to answer the first reply")
    conversation = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["conversation_id"]
    taken = await stack.http.post(f"/api/conversations/{conversation}/take-over")
    assert taken.status_code == 200, taken.text

    # The customer writes again: logged for the operator, not answered by the AI.
    second = answering(mail, "Also, can we talk about splitting this into two payments?")
    assert (await post(stack, mail_clients.gmail(second), second.to)).json()["status"] == "routed"
    await poll(lambda: senders(["ai", "customer", "ai", "customer"]), "the second reply on the timeline")
    assert await converse_turns(stack, action["id"]) == 1

    text = "Of course.\nHalf now and half on the 1st works for us.\n\nThe team"
    replied = await stack.http.post(f"/api/conversations/{conversation}/replies",
                                    json={"text": text, "request_id": "split-1"})  # fmt: skip
    assert replied.status_code == 200, replied.text
    entries = await poll(lambda: senders(["ai", "customer", "ai", "customer", "operator"]), "the operator's answer")
    assert entries[-1]["body"].startswith("Of course.")

    sent = [accepted for accepted in fake.accepted if "Half now" in accepted["content"][1]["value"]]
    assert len(sent) == 1
    [answer] = sent
    assert answer["subject"] == f"Re: {mail['subject']}"
    assert answer["headers"]["In-Reply-To"] == second.message_id  # in the customer's thread
    assert "Half now and half on the 1st works for us.</p>" in answer["content"][1]["value"]
    assert "<br>" in answer["content"][1]["value"] or "</p><p>" in answer["content"][1]["value"]


@pytest.mark.one_database  # its subject is the push over HTTP
async def test_a_conversation_pushes_each_change_to_who_watches_it(stack: Stack) -> None:
    customer, _, _ = member_with_open_invoice(stack)
    link = await signed_in(stack, customer.id)
    await say(stack, link, "What are your opening hours?")
    path = f"/api/conversations/chat:{customer.id}/changes"
    austin = stack.as_operator(create_operator(stack.engine, name="Austin desk", email="desk@atx.example",
                                               location_ids=["atx"], is_admin=False))  # fmt: skip
    unseen = await stack.http.get(path, headers=austin)
    assert unseen.status_code == 404 and "No conversation" in unseen.json()["detail"]

    async with asyncio.timeout(60), stack.http.stream("GET", path) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = aiter(sse_events(stream))
        first = await anext(events)
        assert first[0] == "changed" and first[1].startswith("open/ai/")
        # Something happens in the conversation: the stream says so, without being asked again.
        taken = await stack.http.post(f"/api/conversations/chat:{customer.id}/take-over")
        me = taken.json()["taken_over_by"]["id"]
        name, version = await anext(events)
        while version.startswith("open/ai/"):  # the take-over's note and its handler land one after the other
            name, version = await anext(events)
        assert name == "changed" and version.startswith(f"open/{me}/")


async def sse_events(stream: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """Each server-sent event as (name, data)."""
    name, data = "", []
    async for line in stream.aiter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif not line and name:
            yield name, "\n".join(data)
            name, data = "", []
