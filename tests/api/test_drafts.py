"""Editing drafts with `{{variables}}` over HTTP, and composition usage."""

from html import escape
from typing import Any

import pytest

from models.messages import AgentType
from tests.api.test_voice_channel import callable_proposal
from tests.conftest import Stack, emailable, poll


async def test_edits_with_variables_are_checked_then_filled_at_send_time(stack: Stack) -> None:
    http = stack.http
    action = await stack.pending_email()
    base = f"/api/inbox/{action['id']}"

    unknown = await http.patch(base, json={"body_html": "<p>Hi {{nickname}}</p>"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("Unknown variable {{nickname}}; use one of:")
    unavailable = await http.patch(base, json={"subject": "Renew: {{renewal_link}}"})
    assert unavailable.status_code == 422
    assert "{{renewal_link}} has no value for this proposal" in unavailable.json()["detail"]
    evaluated = await http.patch(base, json={"body_html": "<p>{{ 7*7 }}</p>"})
    assert evaluated.status_code == 422

    edited = await http.patch(
        base,
        json={
            "subject": "{{first_name}}, invoice {{invoice_number}}",
            "body_html": "<p>Dear {{customer_name}}, {{invoice_amount}} is due: {{payment_link}}</p>",
        },
    )
    assert edited.status_code == 200, edited.text
    detail = edited.json()
    assert detail["status"] == "pending"
    assert "Draft edited." in [entry["body"] for entry in detail["timeline"]]
    assert "{{customer_name}}" in detail["body_html"]  # the draft keeps the variables until sending

    assert (await http.post(f"{base}/approve", json={})).status_code == 200

    async def sent() -> dict[str, Any] | None:
        outbox = (await http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()
        return outbox["items"][0] if outbox["items"] else None

    email = await poll(sent, "the edited email in the outbox")
    name = action["customer"]["name"]
    number = (await http.get(base)).json()["facts"]["invoice_number"]
    assert email["subject"] == f"{name.split()[0]}, invoice {number}"
    assert f"Dear {name}," in email["body_html"]
    assert "{{" not in email["body_html"]
    assert (await http.patch(base, json={"subject": "Too late"})).status_code == 409


async def test_usage_is_reported_per_agent_and_day(stack: Stack) -> None:
    started = (await stack.detect("ams")).started

    async def all_recorded() -> list[dict[str, Any]] | None:
        # Every outreach detection started has recorded its proposal, and usage counts each of them.
        rows = (await stack.http.get("/api/usage", params={"location_id": "ams"})).json()
        total = (await stack.http.get("/api/inbox", params={"location_id": "ams"})).json()["total"]
        return rows if total == started and sum(row["proposals"] for row in rows) == total else None

    rows = await poll(all_recorded, "usage to cover every proposal")
    action = (await stack.http.get("/api/inbox", params={"page_size": 1})).json()["items"][0]
    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    assert (detail["composed_by"], detail["fallback_reason"], detail["cost_usd"]) == ("offline", None, 0.0)
    assert {row["agent_type"] for row in rows} == set(AgentType)  # the demo space has work for every agent
    assert all(row["model_drafts"] == 0 and row["prompt_tokens"] == 0 for row in rows)
    assert (await stack.http.get("/api/usage", params={"days": 0})).status_code == 422


async def test_an_approval_says_what_was_edited_only_when_something_changed(stack: Stack) -> None:
    result = await stack.detect("ams", only=AgentType.due_invoice)

    async def proposed() -> list[dict[str, Any]] | None:  # all of them: they reach the inbox one by one
        params: dict[str, str | int] = {"agent_type": "due_invoice", "page_size": 200}
        inbox = (await stack.http.get("/api/inbox", params=params)).json()
        return inbox["items"] if inbox["total"] == result.started else None

    first, second = await emailable(stack.http, await poll(proposed, "every invoice reminder to reach the inbox"), 2)
    notes = []
    for action, subject in ((first, None), (second, "Your invoice, once more")):
        draft = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
        # As a form posts it back: every field, the draft's own where nothing was changed.
        posted = {"channel": draft["channel"], "subject": subject or draft["subject"],
                  "body_html": draft["body_html"], "review_notes": "Checked"}  # fmt: skip
        approved = await stack.http.post(f"/api/inbox/{action['id']}/approve", json=posted)
        assert approved.status_code == 200, approved.text
        notes.append(next(entry["body"] for entry in approved.json()["timeline"]
                          if entry["body"].startswith("Approved")))  # fmt: skip
    assert notes == ["Approved. Review notes: Checked", "Approved, the subject edited. Review notes: Checked"]


async def test_the_preview_is_what_approving_would_deliver_and_what_the_edits_change(stack: Stack) -> None:
    action = await stack.pending_email()
    base = f"/api/inbox/{action['id']}"
    detail = (await stack.http.get(base)).json()
    customer, facts = detail["customer"], detail["facts"]

    unchanged = (await stack.http.post(f"{base}/preview", json={"channel": "ai_email"})).json()
    assert (unchanged["subject"], unchanged["changes"]) == (detail["subject"], [])
    assert unchanged["recipient"] == customer["email"] and unchanged["sender"].endswith(">")
    assert unchanged["body_text"].strip() and unchanged["spoken"] is None

    edited = {"subject": "{{first_name}}, invoice {{invoice_number}}",
              "body_html": "<p>Dear {{customer_name}}, {{invoice_amount}} is due.</p><script>x()</script>"}  # fmt: skip
    shown = await stack.http.post(f"{base}/preview", json=edited)
    assert shown.status_code == 200, shown.text
    preview = shown.json()
    first_name = customer["name"].split()[0]
    assert preview["subject"] == f"{first_name}, invoice {facts['invoice_number']}"
    assert f"Dear {customer['name']}, {facts['invoice_amount']} is due." in preview["body_text"]
    assert "<script" not in preview["body_html"]
    added = [change for change in preview["changes"] if change.startswith("+ ")]
    assert preview["changes"][0] == f"- {detail['subject']}"  # what the draft said, first
    assert added == [
        "+ {{first_name}}, invoice {{invoice_number}}",
        "+ Dear {{customer_name}}, {{invoice_amount}} is due.",
    ]

    call = (await stack.http.post(f"{base}/preview", json={"channel": "voice"})).json()
    assert call["spoken"] and call["recipient"] == customer["mobile_phone"]
    refused = await stack.http.post(f"{base}/preview", json={"body_html": "<p>{{nickname}}</p>"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("Unknown variable {{nickname}}")
    after = (await stack.http.get(base)).json()
    assert (after["subject"], after["body_html"], after["status"]) == (detail["subject"], detail["body_html"],
                                                                       "pending")  # nothing saved  # fmt: skip

    # Once an edit is saved, the preview still compares with the AI's draft: what the team changed, saved or not.
    saved = await stack.http.patch(base, json={"subject": "About your invoice"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["drafted"]["subject"] == detail["subject"]
    again = (await stack.http.post(f"{base}/preview", json={})).json()
    assert again["changes"] == [f"- {detail['subject']}", "+ About your invoice"]


@pytest.mark.one_database  # its subject is what each channel renders
async def test_the_preview_is_what_the_outbox_holds_once_sent_on_each_channel(stack: Stack) -> None:
    edits = {"subject": "{{first_name}}, about {{invoice_number}}",
             "body_html": "<p>Dear {{customer_name}},</p><p>{{invoice_amount}} is due.</p>",
             "voice_script": "Hello {{first_name}}, this is about invoice {{invoice_number}}."}  # fmt: skip
    # Amsterdam reaches customers by email (the AI's, the location's own) and the help desk; Austin also calls.
    chosen = [*zip(await reachable(stack, 3), ("ai_email", "email", "helpdesk"), strict=True),
              (await callable_proposal(stack, "due_invoice"), "voice")]  # fmt: skip
    for item, channel in chosen:
        base = f"/api/inbox/{item['id']}"
        choice = {"channel": channel, **edits, **({"send_from": "location_default"} if channel == "email" else {})}
        shown = (await stack.http.post(f"{base}/preview", json=choice)).json()
        approved = await stack.http.post(f"{base}/approve", json=choice)
        assert approved.status_code == 200, approved.text

        async def sent(action_id: str = item["id"]) -> list[dict[str, Any]] | None:
            return await delivered(stack, action_id)

        outbox = await poll(sent, f"the {channel} delivery")
        if channel == "voice":  # the call as it is said: the script, the variables filled in, to that number
            [call] = outbox
            assert (call["to_address"], call["body_html"]) == (shown["recipient"], f"<p>{escape(shown['spoken'])}</p>")
        elif channel == "helpdesk":  # the ticket, and the email that tells the customer about it
            ticket = next(row for row in outbox if row["provider"] == "helpdesk")
            told = next(row for row in outbox if row["provider"] != "helpdesk")
            assert (ticket["subject"], ticket["body_html"]) == (shown["subject"], shown["body_html"])
            number = (await stack.http.get(f"/api/helpdesk/tickets/{ticket['id']}")).json()["number"]
            expected = (shown["notification_subject"], shown["notification_html"])  # its number given as it opens
            assert (told["subject"], told["body_html"]) == tuple(text.replace("T-…", number) for text in expected)
            assert told["to_address"] == shown["recipient"]
        else:
            [email] = outbox
            assert (email["to_address"], email["subject"], email["body_html"]) == (
                shown["recipient"], shown["subject"], shown["body_html"])  # fmt: skip
            assert email["from_address"] in shown["sender"]


async def reachable(stack: Stack, most: int) -> list[dict[str, Any]]:
    await stack.detect("ams", only=AgentType.due_invoice)

    async def found() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"agent_type": "due_invoice", "status": "pending", "page_size": 200,
                                        "location_id": "ams"}  # fmt: skip
        items = (await stack.http.get("/api/inbox", params=params)).json()["items"]
        ready = [item for item in items if item["reachable"] is not False]
        return ready[:most] if len(ready) >= most else None

    return await poll(found, f"{most} reachable proposals")


async def delivered(stack: Stack, action_id: str) -> list[dict[str, Any]] | None:
    """The outbox's deliveries of a proposal, once there are any (a ticket's notification follows the ticket)."""
    items = (await stack.http.get("/api/outbox", params={"proposed_action_id": action_id})).json()["items"]
    done = [row for row in items if row["status"] != "sending"]
    return done if done and not (any(row["provider"] == "helpdesk" for row in done) and len(done) < 2) else None
