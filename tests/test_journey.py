"""The spine end to end, over HTTP like an operator and a customer: detect → inbox → approve →
outbox → simulated reply → conversation timeline, on the real dev server."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select
from temporalio.client import WorkflowExecutionStatus

from domain import portal_links
from domain.content import format_money
from models.messages import AgentType
from models.tables import Booking, Customer, Invoice, InvoiceLine, Location, ProposedAction
from settings import DEVELOPMENT_PORTAL_SECRET
from tests.conftest import Stack, emailable, poll, poll_emailable
from tests.factories import next_open_weekday


def invoice_of(stack: Stack, action: dict[str, Any]) -> tuple[Invoice, Customer]:
    with Session(stack.engine) as session:
        proposed = session.get(ProposedAction, action["id"])
        assert proposed is not None
        invoice = session.exec(select(Invoice).where(col(Invoice.id) == proposed.facts["invoice_id"])).one()
        customer = session.get(Customer, invoice.customer_id)
        assert customer is not None
        return invoice, customer


async def test_detect_approve_send_reply_converse(stack: Stack) -> None:
    http = stack.http
    first = await stack.detect("ams")
    assert first.started > 0

    async def all_proposed() -> dict[str, Any] | None:
        params: dict[str, str | int] = {"status": "pending", "location_id": "ams", "page_size": 200}
        inbox = (await http.get("/api/inbox", params=params)).json()
        return inbox if inbox["total"] == first.started else None

    inbox = await poll(all_proposed, "every started outreach to reach the inbox")
    assert {item["agent_type"] for item in inbox["items"]} == set(AgentType)  # the demo has work for every agent

    # The same agent writes differently to a habitual late payer, and again for a second and a final reminder.
    subjects = {item["subject"].split(":")[0] for item in inbox["items"] if item["agent_type"] == "due_invoice"}
    assert {"Action needed", "Second reminder", "Final reminder"} <= subjects

    # Detection again: nothing new, nothing duplicated.
    second = await stack.detect("ams")
    assert (second.started, second.existing) == (0, 0)
    assert second.skipped.dedup == first.started
    again = (await http.get("/api/inbox", params={"location_id": "ams", "page_size": 1})).json()
    assert again["total"] == first.started

    [action] = await emailable(http, [item for item in inbox["items"] if item["agent_type"] == "due_invoice"])
    invoice, customer = invoice_of(stack, action)
    amount = format_money(invoice.amount_cents, invoice.currency)
    draft = (await http.get(f"/api/inbox/{action['id']}")).json()["body_html"]
    assert customer.name.split()[0] in draft
    assert amount in draft

    approved = await http.post(f"/api/inbox/{action['id']}/approve", json={"review_notes": "Looks right"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] in ("approved", "sent")

    async def sent() -> dict[str, Any] | None:
        detail = (await http.get(f"/api/inbox/{action['id']}")).json()
        return detail if detail["status"] == "sent" else None

    detail = await poll(sent, "the approved action to be sent")
    assert detail["sent_at"] is not None

    outbox = (await http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()
    assert outbox["total"] == 1
    email = outbox["items"][0]
    assert email["to_address"] == customer.email
    assert customer.name.split()[0] in email["body_html"]
    assert amount in email["body_html"]
    assert invoice.payment_link in email["body_html"]

    second_approve = await http.post(f"/api/inbox/{action['id']}/approve", json={})
    assert second_approve.status_code == 409
    assert "already sent" in second_approve.json()["detail"]

    reply = await http.post(
        "/api/dev/simulate-reply",
        json={"proposed_action_id": action["id"], "body": "Sorry! Could you send me the payment link again?"},
    )
    assert reply.status_code == 202, reply.text
    conversation_id = reply.json()["conversation_id"]

    async def answered() -> dict[str, Any] | None:
        response = await http.get(f"/api/conversations/{conversation_id}")
        if response.status_code != 200:
            return None
        conversation = response.json()
        senders = [entry["sender"] for entry in conversation["timeline"] if entry["channel"]]
        return conversation if senders == ["ai", "customer", "ai"] else None

    conversation = await poll(answered, "the AI to answer the customer's reply")
    messages = [entry for entry in conversation["timeline"] if entry["channel"]]
    assert amount in messages[0]["body"]
    assert messages[1]["body"].startswith("Sorry! Could you send me the payment link again?")
    assert invoice.payment_link in messages[2]["body"]
    assert conversation["status"] == "open"

    listed = (await http.get("/api/conversations", params={"q": customer.name.split()[-1]})).json()
    assert conversation_id in [item["id"] for item in listed["items"]]
    inbox_item = (await http.get(f"/api/inbox/{action['id']}")).json()
    assert inbox_item["conversation_id"] == conversation_id
    outbox = (await http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()
    assert outbox["total"] == 2
    # The answer continues the customer's thread: it answers their message, which answered ours.
    came_in = messages[1]["source"]
    assert came_in["label"] == "Simulated reply (sandbox)"
    assert outbox["items"][0]["in_reply_to"] == came_in["message_id"]
    assert (await http.get(came_in["link"])).json()["references"] == [email["message_id"]]


async def test_search_attributes_follow_the_status(stack: Stack) -> None:
    await stack.detect("atx")

    async def proposed() -> dict[str, Any] | None:
        inbox = (await stack.http.get("/api/inbox", params={"location_id": "atx", "page_size": 1})).json()
        return inbox["items"][0] if inbox["items"] else None

    action = await poll(proposed, "a proposal in the inbox")
    await stack.http.post(f"/api/inbox/{action['id']}/reject", json={"reason": "Customer called us already"})
    query = (
        f'WorkflowId = "{action["id"]}" AND OutreachStatus = "rejected" AND AgentType = "{action["agent_type"]}" '
        f'AND LocationId = "atx" AND CustomerId = "{action["customer"]["id"]}" AND Channel = "ai_email"'
    )

    async def listed() -> list[str]:
        return [execution.id async for execution in stack.client.list_workflows(query)]

    assert await poll(listed, "the rejected outreach to be visible by its search attributes") == [action["id"]]


async def test_a_customer_writing_after_the_conversation_ended_reopens_it(stack: Stack) -> None:
    http = stack.http
    action = await stack.pending_email()
    assert (await http.post(f"/api/inbox/{action['id']}/approve", json={})).status_code == 200

    async def sent() -> bool:
        return (await http.get(f"/api/inbox/{action['id']}")).json()["status"] == "sent"

    await poll(sent, "the approved action to be sent")
    reply = {"proposed_action_id": action["id"], "body": "Thanks, will do!"}
    conversation_id = (await http.post("/api/dev/simulate-reply", json=reply)).json()["conversation_id"]
    outreach = stack.client.get_workflow_handle(action["id"])

    async def over() -> bool:
        return (await outreach.describe()).status == WorkflowExecutionStatus.COMPLETED

    await poll(over, "the conversation to resolve and the outreach to finish")
    assert (await http.get(f"/api/conversations/{conversation_id}")).json()["status"] == "resolved"

    late = {"proposed_action_id": action["id"], "body": "Sorry, could you send me the link again?"}
    response = await http.post("/api/dev/simulate-reply", json=late)
    assert response.status_code == 202, response.text
    assert response.json()["conversation_id"] == conversation_id
    invoice, _ = invoice_of(stack, action)

    async def answered_again() -> dict[str, Any] | None:
        conversation = (await http.get(f"/api/conversations/{conversation_id}")).json()
        messages = [entry for entry in conversation["timeline"] if entry["channel"]]
        return conversation if len(messages) == 5 else None

    conversation = await poll(answered_again, "the late reply to be answered")
    assert conversation["status"] == "open"
    bodies = [entry["body"] for entry in conversation["timeline"]]
    assert "Reopened: the customer wrote again after the conversation was resolved." in bodies
    messages = [entry for entry in conversation["timeline"] if entry["channel"]]
    assert [entry["sender"] for entry in messages] == ["ai", "customer", "ai", "customer", "ai"]
    assert invoice.payment_link in messages[-1]["body"]
    outbox = (await http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()
    assert outbox["total"] == 3
    # The answer continues the email thread: it answers the late reply, which answered our last answer.
    late = messages[3]["source"]
    assert outbox["items"][0]["in_reply_to"] == late["message_id"]
    assert (await http.get(late["link"])).json()["references"] == [outbox["items"][1]["message_id"]]


async def pending_of(stack: Stack, agent_type: str) -> dict[str, Any]:
    """After a detection run of that agent at ams, a pending proposal of `agent_type` whose customer can be
    emailed."""
    await stack.detect("ams", only=AgentType(agent_type))

    async def proposed() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"agent_type": agent_type, "status": "pending", "page_size": 50}
        return (await stack.http.get("/api/inbox", params=params)).json()["items"] or None

    return await poll_emailable(stack.http, proposed, f"a {agent_type} proposal to a customer with an address")


async def approved_and_sent(stack: Stack, action: dict[str, Any]) -> None:
    assert (await stack.http.post(f"/api/inbox/{action['id']}/approve", json={})).status_code == 200

    async def sent() -> bool:
        return (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "sent"

    await poll(sent, "the email to be sent")


async def say(stack: Stack, action: dict[str, Any], body: str, messages: int) -> list[dict[str, Any]]:
    """The customer replies; answers the timeline's messages once there are `messages` of them."""
    asked = {"proposed_action_id": action["id"], "body": body}
    assert (await stack.http.post("/api/dev/simulate-reply", json=asked)).status_code == 202

    async def answered() -> list[dict[str, Any]] | None:
        timeline = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
        found = [entry for entry in timeline if entry["channel"]]
        return found if len(found) == messages else None

    return await poll(answered, f"{messages} messages on the timeline")


async def test_asked_what_an_invoice_covers_the_ai_looks_it_up_line_by_line(stack: Stack) -> None:
    action = await stack.pending_email()
    invoice, _ = invoice_of(stack, action)
    await approved_and_sent(stack, action)
    # The sandbox outbox shows the email as it would have gone out: its reply address, signed for this delivery.
    [sent] = (await stack.http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()["items"]
    assert sent["headers"]["Reply-To"].startswith("reply+") and sent["headers"]["Message-ID"] == sent["message_id"]
    assert sent["headers"]["To"] == sent["to_address"] and sent["headers"]["Subject"] == sent["subject"]
    answer = (await say(stack, action, "Can you remind me what this covers?", 3))[2]["body"]
    with Session(stack.engine) as session:
        lines = session.exec(select(InvoiceLine).where(col(InvoiceLine.invoice_id) == invoice.id)).all()
    assert f"Invoice {invoice.number} of {format_money(invoice.amount_cents, invoice.currency)}" in answer
    for line in lines:
        assert f"{line.description}" in answer and format_money(line.amount_cents, invoice.currency) in answer
    link = next(word for word in answer.split() if "/pay-invoice?" in word).strip("().")
    assert portal_links.verify(DEVELOPMENT_PORTAL_SECRET, link, datetime.now(UTC)).reference == invoice.number

    # The history shows the lookup as a step of its own, between the two thoughts of the turn.
    history = await stack.client.get_workflow_handle(f"conversation:{action['id']}").fetch_history()
    activities = [event.activity_task_scheduled_event_attributes.activity_type.name for event in history.events
                  if event.HasField("activity_task_scheduled_event_attributes")]  # fmt: skip
    assert activities[activities.index("use_tool") - 1 : activities.index("use_tool") + 2] == [
        "converse", "use_tool", "converse"]  # fmt: skip

    # The customer pays: the space's system says so, and the chain closes — conversion, resolution, funnel.
    paid = {"location_id": "ams", "invoice_number": invoice.number}
    conversion = (await stack.http.post("/api/events/invoice-paid", json=paid)).json()
    assert (conversion["kind"], conversion["proposed_action_id"]) == ("invoice_paid", action["id"])
    assert conversion["conversation_id"] == f"conversation:{action['id']}"

    async def resolved() -> dict[str, Any] | None:
        found = (await stack.http.get(f"/api/conversations/conversation:{action['id']}")).json()
        return found if found["status"] == "resolved" else None

    conversation = await poll(resolved, "the payment to resolve the conversation")
    assert [found["id"] for found in conversation["conversions"]] == [conversion["id"]]
    said = [entry["body"] for entry in conversation["timeline"]]
    assert f"Converted: Invoice {invoice.number} paid." in said and f"Resolved: Invoice {invoice.number} paid." in said
    again = await stack.http.post("/api/events/invoice-paid", json=paid)  # reported twice: recorded once
    assert again.status_code == 200 and again.json()["id"] == conversion["id"]
    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert len(detail["conversions"]) == 1 and detail["status"] == "sent"
    with Session(stack.engine) as session:
        assert session.get(Invoice, invoice.id).paid_at is not None  # type: ignore[union-attr]
    [funnel] = [row for row in (await stack.http.get("/api/inbox/summary")).json()["funnel"]
                if row["agent_type"] == "due_invoice"]  # fmt: skip
    assert (funnel["sent"], funnel["replied"], funnel["converted"]) == (1, 1, 1)
    assert funnel["conversion_rate"] == 1.0 and funnel["proposed"] > funnel["approved"] == 1


async def test_a_lead_asking_for_a_day_pass_next_tuesday_gets_one(stack: Stack) -> None:
    action = await pending_of(stack, "lead_follow_up")
    await approved_and_sent(stack, action)
    with Session(stack.engine) as session:
        location = session.get(Location, "ams")
        assert location is not None
    next_weekday, tuesday = next_open_weekday(location)  # next Tuesday, unless a holiday falls on it
    answer = (await say(stack, action, f"Yes, I'd love to try a day pass for {next_weekday}.", 3))[2]["body"]
    assert f"Your day pass is for {tuesday:%A} {tuesday.day} {tuesday:%B}, 09:00 to 18:00, at Canal House " \
           "Amsterdam, Herengracht 182" in answer  # fmt: skip
    assert "The Wi-Fi is CanalHouse-Members, password tulips-and-bikes." in answer
    assert "The day pass is €35.00" in answer and "/pay-invoice?" in answer and "/book?" in answer
    with Session(stack.engine) as session:
        [booking] = session.exec(select(Booking).where(col(Booking.kind) == "day_pass")).all()
    assert booking.customer_id == action["customer"]["id"]
    assert booking.starts_at.astimezone(ZoneInfo("Europe/Amsterdam")).date() == tuesday
    # The inquiry, the follow-up and the booking are one chain.
    [conversion] = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["conversions"]
    assert (conversion["kind"], conversion["reference"], conversion["source"]) == (
        "booking_made", booking.id, "conversation")  # fmt: skip


async def test_a_member_asking_about_private_offices_gets_them_with_prices_and_a_negotiation_goes_to_the_team(
    stack: Stack,
) -> None:
    action = await pending_of(stack, "contract_renewal")
    await approved_and_sent(stack, action)
    question = "I've been thinking about switching to a private office. What options do you have?"
    offer = (await say(stack, action, question, 3))[2]["body"]
    for office, price in (("Office 2.1 (canal view)", "€950.00"), ("Office 2.4", "€1,650.00"),
                          ("Office 3.2", "€2,400.00")):  # fmt: skip
        assert f"{office}, for up to" in offer and f"{price} a month" in offer
    assert "Book a viewing (https://portal.canalhouse.example/book?" in offer

    await say(stack, action, "Those prices are higher than I expected. Can we work something out?", 5)

    async def escalated() -> dict[str, Any] | None:
        conversation = (await stack.http.get(f"/api/conversations/conversation:{action['id']}")).json()
        return conversation if conversation["status"] == "escalated" else None

    await poll(escalated, "the negotiation to go to the team")

    # The team gets a complete ticket: why, the summary, what the AI tried, the transcript, who the customer is.
    timeline = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
    [escalation] = [entry for entry in timeline if entry["ticket_id"]]
    assert escalation["body"].startswith("Escalated to the team: ticket T-") and "normal priority" in escalation["body"]
    assert [entry["tool"] for entry in timeline if entry["tool"]] == ["plans_and_prices", "portal_link"]
    ticket = (await stack.http.get(f"/api/helpdesk/tickets/{escalation['ticket_id']}")).json()
    assert (ticket["priority"], ticket["status"]) == ("normal", "open")
    assert ticket["conversation_id"] == f"conversation:{action['id']}"
    told, brief = ticket["comments"]
    assert (
        told["public"] and "passed this to our team" in told["body_html"] and "follow up by email" in told["body_html"]
    )
    assert not brief["public"]
    note = brief["body_html"]
    assert "needs_judgement" in note and "terms, a discount" in note  # why
    assert "Summary." in note and "The customer wrote 2 times on ai_email" in note
    assert "Looked up the plans and prices:" in note and "Office 2.4" in note
    assert "Made a member portal link (purpose book):" in note
    assert "Customer (ai_email): I&#x27;ve been thinking about switching to a private office" in note
    assert "AI (ai_email): " in note and "Those prices are higher than I expected" in note
    with Session(stack.engine) as session:
        customer = session.get(Customer, action["customer"]["id"])
        assert customer is not None
    assert customer.name in note and "Contract: " in note and "Plan: " in note and "Bookings: " in note

    # Later messages go to the ticket, for the team: the AI stays silent and the conversation stays escalated.
    handle = stack.client.get_workflow_handle(f"conversation:{action['id']}")
    run_before = (await handle.describe()).run_id
    later = (await say(stack, action, "Any news on this? I need to decide by Friday.", 6))[5]
    assert later["sender"] == "customer" and later["ticket_id"] == ticket["id"]
    ticket = (await stack.http.get(f"/api/helpdesk/tickets/{ticket['id']}")).json()
    assert ticket["comments"][-1]["body_html"] == "<p>Any news on this? I need to decide by Friday.</p>"
    assert ticket["comments"][-1]["public"] and ticket["comments"][-1]["author"] == "customer"
    assert (await handle.describe()).run_id == run_before  # no new conversation run: nobody woke the AI
    conversation = (await stack.http.get(f"/api/conversations/conversation:{action['id']}")).json()
    assert conversation["status"] == "escalated"


async def test_a_customer_who_asks_to_hear_no_more_is_opted_out_and_nothing_else_reaches_them(stack: Stack) -> None:
    started = (await stack.detect("ams")).started

    async def proposed() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"status": "pending", "location_id": "ams", "page_size": 200}
        inbox = (await stack.http.get("/api/inbox", params=params)).json()
        return inbox["items"] if inbox["total"] == started else None

    items = await poll(proposed, "every started outreach to reach the inbox")
    # A customer with a second proposal waiting: the opt-out must stop that one too.
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["customer"]:  # not the team's work
            by_customer.setdefault(item["customer"]["id"], []).append(item)
    pairs = [proposals for proposals in by_customer.values() if len(proposals) > 1]
    [action] = await emailable(stack.http, [proposal for pair in pairs for proposal in pair])
    [other] = [item for item in by_customer[action["customer"]["id"]] if item["id"] != action["id"]]
    await approved_and_sent(stack, action)

    answer = (await say(stack, action, "Bitte schicken Sie mir keine E-Mails mehr.", 3))[2]
    assert answer["sender"] == "ai" and answer["body"].startswith("Selbstverständlich, ")  # in their language
    assert answer["body"].count(".") == 1 and "Sie hören nichts mehr von Canal House Amsterdam" in answer["body"]
    timeline = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
    [opt_out] = [entry for entry in timeline if entry["tool"] == "opt_out"]
    assert opt_out["body"].startswith(f"Opted the customer out:\nopted out: yes\ncancelled proposals: {other['id']}")

    async def cancelled() -> bool:
        return (await stack.http.get(f"/api/inbox/{other['id']}")).json()["status"] == "cancelled"

    await poll(cancelled, "the customer's other proposal to be cancelled")
    with Session(stack.engine) as session:
        customer = session.get(Customer, action["customer"]["id"])
        assert customer is not None and customer.opted_out

    async def resolved() -> bool:
        conversation = (await stack.http.get(f"/api/conversations/conversation:{action['id']}")).json()
        return conversation["status"] == "resolved"

    await poll(resolved, "the conversation to be resolved")

    # They write again: the team sees it, and nothing more reaches them, not even an answer.
    handle = stack.client.get_workflow_handle(f"conversation:{action['id']}")

    async def over() -> str | None:
        described = await handle.describe()
        return described.run_id if described.status == WorkflowExecutionStatus.COMPLETED else None

    run = await poll(over, "the conversation to finish")
    later = await say(stack, action, "Sorry, one more thing: was my last invoice paid?", 4)
    assert later[3]["sender"] == "customer"
    assert await over() == run  # no conversation woke up


async def test_a_customer_who_says_they_paid_holds_the_reminders_until_the_payment_has_had_time(stack: Stack) -> None:
    action = await stack.pending_email()
    invoice, _ = invoice_of(stack, action)
    await approved_and_sent(stack, action)
    said = await say(stack, action, "Paid it this morning by bank transfer, it should be with you tomorrow.", 3)
    assert "Payments can take a business day or two" in said[-1]["body"]

    async def noted() -> Invoice | None:
        with Session(stack.engine) as session:
            found = session.get(Invoice, invoice.id)
            return found if found is not None and found.payment_reported_at is not None else None

    reported = await poll(noted, "the payment the customer reported to be noted on the invoice")
    assert reported.paid_at is None  # never paid on their word
    timeline = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
    assert any(entry["body"].startswith(f"The customer says they paid invoice {invoice.number}.") for entry in timeline)
