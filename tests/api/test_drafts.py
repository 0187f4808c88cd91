"""Editing drafts with `{{variables}}` over HTTP, and composition usage."""

from typing import Any

from models.messages import AgentType
from tests.conftest import Stack, poll


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
