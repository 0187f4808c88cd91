"""Agents over HTTP: configuration with clear 422s, a dry run whose counts a real run then matches,
the detection schedule, opt-outs that cancel waiting proposals, and the inbox summary."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.client import ScheduleOverlapPolicy

from api.schemas import AgentConfigUpdate
from domain.ids import INBOUND_RETENTION_ID
from models.db import session_scope
from models.messages import ActionStatus
from models.operators import Permission, create_operator
from models.tables import AgentSettings, Location, ProposedAction
from schedules import ensure_schedule, sync_schedules
from settings import Settings
from tests.conftest import Stack, emailable, poll

AGENT_TYPES = {"due_invoice", "contract_renewal", "lead_follow_up", "first_booking", "tour_reminder", "tour_no_show",
               "booking_no_show", "re_engagement", "at_risk", "upsell", "faq_gap", "cancellation_risk",
               "lead_scoring", "category_spike"}  # fmt: skip


async def test_agent_configs_are_listed_changed_and_validated(stack: Stack) -> None:
    http = stack.http
    configs = (await http.get("/api/agents", params={"location_id": "ams"})).json()
    assert {config["agent_type"] for config in configs} == AGENT_TYPES
    assert all(not config["auto_execute"] for config in configs)  # off by default for every agent
    kinds = {config["agent_type"]: config for config in configs}
    assert (kinds["due_invoice"]["category"], kinds["due_invoice"]["auto_execute_safe"]) == ("customer", True)
    assert kinds["due_invoice"]["description"] == "An invoice still unpaid N days after its due date."
    # A team agent's work is created for the team: on its channel, always reviewed; a customer's agent never is.
    assert (kinds["faq_gap"]["category"], kinds["faq_gap"]["default_channel"]) == ("team", "team")
    to_customers = await http.put("/api/agents/faq_gap", params={"location_id": "ams"},
                                  json={"default_channel": "ai_email"})  # fmt: skip
    assert to_customers.json()["detail"] == "A team agent's work is created for the team: its channel is team."
    to_team = await http.put("/api/agents/due_invoice", params={"location_id": "ams"}, json={"default_channel": "team"})
    assert to_team.status_code == 422 and "not team" in to_team.json()["detail"]
    unsafe = await http.put("/api/agents/lead_follow_up", params={"location_id": "ams"}, json={"auto_execute": True})
    assert unsafe.status_code == 422
    assert unsafe.json()["detail"] == "The lead_follow_up agent's proposals always need review: it cannot auto-execute."

    changed = await http.put(
        "/api/agents/due_invoice",
        params={"location_id": "ams"},
        json={"threshold_days": 10, "daily_max": 3, "auto_execute": True, "confidence_threshold": 85},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["threshold_days"], changed.json()["daily_max"]) == (10, 3)
    assert (await http.get("/api/agents/due_invoice", params={"location_id": "ams"})).json()["auto_execute"]

    bad: list[tuple[dict[str, Any], str]] = [
        ({"threshold_days": -1}, "threshold_days: Input should be greater than or equal to 0"),
        ({"confidence_threshold": 101}, "confidence_threshold: Input should be less than or equal to 100"),
        ({"default_channel": "helpdesk"}, "Agents can propose ai_email or voice"),
        ({"default_channel": "voice"}, "The Voice AI agent is not enabled for this location"),
        ({"cooldown": 3}, "cooldown: Extra inputs are not permitted"),
    ]
    for body, expected in bad:
        response = await http.put("/api/agents/due_invoice", params={"location_id": "ams"}, json=body)
        assert response.status_code == 422, body
        assert expected in response.json()["detail"]
    assert (await http.put("/api/agents/voice_bot", params={"location_id": "ams"}, json={})).status_code == 422
    assert (await http.get("/api/agents/due_invoice", params={"location_id": "nowhere"})).status_code == 404

    token = create_operator(
        stack.engine,
        name="Austin",
        email="a@atx.example",
        location_ids=["atx"],
        is_admin=False,
        permissions=list(Permission),
    )
    austin = stack.as_operator(token)
    mine = (await http.get("/api/agents", headers=austin)).json()
    assert {config["location_id"] for config in mine} == {"atx"}
    foreign = await http.put("/api/agents/due_invoice", headers=austin, params={"location_id": "ams"}, json={})
    assert foreign.status_code == 404
    preview = await http.post("/api/agents/due_invoice/preview", headers=austin, params={"location_id": "ams"})
    assert preview.status_code == 404


async def test_the_vocabulary_names_every_enum_and_every_agent_setting_with_its_limits(stack: Stack) -> None:
    meta = (await stack.http.get("/api/meta")).json()
    assert [choice["value"] for choice in meta["statuses"]] == list(ActionStatus)
    assert {"value": "ai_email", "label": "AI assisted email"} in meta["channels"]
    assert {kind["agent_type"] for kind in meta["agents"]} == AGENT_TYPES
    # Every setting, in the update body and the vocabulary alike, from the one model that defines them.
    settings = {setting["name"]: setting for setting in meta["agent_settings"]}
    assert settings.keys() == AgentSettings.model_fields.keys() == AgentConfigUpdate.model_fields.keys()
    assert settings["confidence_threshold"] == {
        "name": "confidence_threshold", "label": "Confidence threshold (%)", "kind": "number", "minimum": 0,
        "maximum": 100, "max_length": None, "choices": [],
    }  # fmt: skip
    assert [choice["value"] for choice in settings["default_channel"]["choices"]] == ["ai_email", "voice"]
    assert (settings["enabled"]["kind"], settings["custom_instructions"]["max_length"]) == ("switch", 2_000)


async def test_the_dry_run_matches_what_a_real_run_then_does(stack: Stack) -> None:
    http = stack.http
    await http.put("/api/agents/due_invoice", params={"location_id": "ams"}, json={"daily_max": 2})
    first = (await http.post("/api/agents/due_invoice/preview", params={"location_id": "ams"})).json()
    opted_out = await http.post(f"/api/customers/{first['candidates'][0]['customer_id']}/opt-out")
    assert opted_out.status_code == 200, opted_out.text
    previews = {}
    for agent in AGENT_TYPES:
        response = await http.post(f"/api/agents/{agent}/preview", params={"location_id": "ams"})
        assert response.status_code == 200
        previews[agent] = response.json()
    assert (await http.get("/api/inbox")).json()["total"] == 0  # a dry run has no side effects

    due = previews["due_invoice"]
    assert due["would_propose"] == 2
    assert due["skipped"]["daily_cap"] > 0
    assert due["skipped"]["opted_out"] > 0
    for candidate in due["candidates"]:
        assert candidate["reason"] and 0 <= candidate["confidence"] <= 100 and candidate["confidence_reasons"]

    result = await stack.detect("ams")
    assert result.started == sum(preview["would_propose"] for preview in previews.values())
    assert result.skipped.opted_out == sum(preview["skipped"]["opted_out"] for preview in previews.values())
    assert result.skipped.daily_cap == sum(preview["skipped"]["daily_cap"] for preview in previews.values())

    async def proposed() -> list[dict[str, Any]] | None:
        inbox = (await http.get("/api/inbox", params={"page_size": 200})).json()
        return inbox["items"] if inbox["total"] == result.started else None

    items = await poll(proposed, "the run's proposals in the inbox")
    previewed = {c["dedup_key"] for p in previews.values() for c in p["candidates"]}
    assert {item["id"].split(":", 2)[2] for item in items} == previewed

    again = (await http.post("/api/agents/due_invoice/preview", params={"location_id": "ams"})).json()
    assert again["would_propose"] == 0
    assert again["skipped"]["dedup"] == 2


async def test_a_dry_run_tries_settings_before_they_are_saved(stack: Stack) -> None:
    path, ams = "/api/agents/due_invoice/preview", {"location_id": "ams"}
    saved = (await stack.http.post(path, params=ams)).json()
    tried = (await stack.http.post(path, params=ams, json={"daily_max": 1})).json()
    assert saved["would_propose"] > 1 and tried["would_propose"] == 1
    assert tried["skipped"]["daily_cap"] == saved["would_propose"] - 1 + saved["skipped"]["daily_cap"]
    stricter = (await stack.http.post(path, params=ams, json={"threshold_days": 60})).json()
    assert stricter["would_propose"] < saved["would_propose"]  # fewer invoices are that overdue
    config = (await stack.http.get("/api/agents/due_invoice", params=ams)).json()
    assert (config["daily_max"], config["threshold_days"]) != (1, 60)  # nothing saved
    refused = await stack.http.post(path, params=ams, json={"default_channel": "voice"})
    assert refused.status_code == 422 and "Voice" in refused.json()["detail"]
    bad = await stack.http.post(path, params=ams, json={"daily_max": -3})
    assert bad.status_code == 422 and "daily_max" in str(bad.json()["detail"])


async def test_a_disabled_agent_proposes_nothing_on_the_next_run(stack: Stack) -> None:
    for agent in AGENT_TYPES - {"first_booking"}:
        await stack.http.put(f"/api/agents/{agent}", params={"location_id": "atx"}, json={"enabled": False})
    result = await stack.detect("atx")
    assert result.started > 0

    async def proposed() -> list[dict[str, Any]] | None:
        inbox = (await stack.http.get("/api/inbox", params={"page_size": 200})).json()
        return inbox["items"] if inbox["total"] == result.started else None

    assert {item["agent_type"] for item in await poll(proposed, "the proposals")} == {"first_booking"}


async def test_the_detection_schedule_follows_its_interval(stack: Stack) -> None:
    http = stack.http
    assert (await http.get("/api/detection/schedule", params={"location_id": "ams"})).json()["interval_minutes"] == 15
    updated = await http.put("/api/detection/schedule", params={"location_id": "ams"}, json={"interval_minutes": 60})
    assert updated.status_code == 200, updated.text
    description = await stack.client.get_schedule_handle("detection:ams").describe()
    assert description.schedule.spec.intervals[0].every.total_seconds() == 3600
    too_often = await http.put("/api/detection/schedule", params={"location_id": "ams"}, json={"interval_minutes": 1})
    assert too_often.status_code == 422
    assert "greater than or equal to 5" in too_often.json()["detail"]
    run = await http.post("/api/detection/run", json={"location_id": "ams"})
    assert run.status_code == 202


async def test_opting_out_cancels_every_waiting_proposal_of_the_customer(stack: Stack) -> None:
    result = await stack.detect("ams")

    async def proposed() -> list[dict[str, Any]] | None:
        inbox = (await stack.http.get("/api/inbox", params={"page_size": 200})).json()
        return inbox["items"] if inbox["total"] == result.started else None

    items = [item for item in await poll(proposed, "the proposals") if item["customer"]]  # not the team's
    customer_id = items[0]["customer"]["id"]
    theirs = {item["id"] for item in items if item["customer"]["id"] == customer_id}
    # Opting out cancels proposals: it needs what deciding them needs, which a new operator has by default.
    configurer = stack.as_operator(create_operator(stack.engine, name="Ops", email="ops@ams.example",
                                                   location_ids=["ams"], is_admin=False,
                                                   permissions=[Permission.agent_config]))  # fmt: skip
    refused = await stack.http.post(f"/api/customers/{customer_id}/opt-out", headers=configurer)
    assert refused.status_code == 403 and "needs the proposedAction permission" in refused.json()["detail"]
    assert {(await stack.http.get(f"/api/inbox/{action_id}")).json()["status"] for action_id in theirs} == {"pending"}
    desk = stack.as_operator(create_operator(stack.engine, name="Desk", email="desk@ams.example",
                                             location_ids=["ams"], is_admin=False))  # fmt: skip
    response = await stack.http.post(f"/api/customers/{customer_id}/opt-out", headers=desk)
    assert response.status_code == 200
    assert set(response.json()["cancelled"]) == theirs

    async def cancelled() -> bool:
        statuses = [(await stack.http.get(f"/api/inbox/{action_id}")).json()["status"] for action_id in theirs]
        return set(statuses) == {"cancelled"}

    await poll(cancelled, "the customer's proposals to be cancelled")
    assert (await stack.http.post("/api/customers/nobody/opt-out")).status_code == 404


async def test_the_inbox_summary_counts_decisions(stack: Stack) -> None:
    result = await stack.detect("atx")

    async def proposed() -> list[dict[str, Any]] | None:
        inbox = (await stack.http.get("/api/inbox", params={"page_size": 200})).json()
        return inbox["items"] if inbox["total"] == result.started else None

    items = await poll(proposed, "the proposals")
    first, second, third = await emailable(stack.http, [item for item in items if item["channel"] == "ai_email"], 3)
    assert (await stack.http.post(f"/api/inbox/{first['id']}/approve", json={})).status_code == 200
    assert (await stack.http.post(f"/api/inbox/{second['id']}/approve", json={})).status_code == 200
    assert (await stack.http.post(f"/api/inbox/{third['id']}/reject", json={"reason": "no"})).status_code == 200
    summary = (await stack.http.get("/api/inbox/summary", params={"time_zone": "America/Chicago"})).json()
    assert summary["pending"] == result.started - 3
    assert (summary["approved_today"], summary["rejected_today"]) == (2, 1)
    assert summary["approval_rate"] == 2 / 3
    details = [(await stack.http.get(f"/api/inbox/{item['id']}")).json() for item in (first, second, third)]
    reviews = [
        datetime.fromisoformat(detail["approved_at"] or detail["rejected_at"])
        - datetime.fromisoformat(detail["created_at"])
        for detail in details
    ]
    expected = sum(review.total_seconds() for review in reviews) / 3
    assert summary["average_review_seconds"] == pytest.approx(expected, abs=0.01)
    # A decision of more than 7 days ago says nothing of how the team reviews now.
    with session_scope(stack.engine) as session:
        row = session.get(ProposedAction, first["id"])
        assert row is not None and row.approved_at is not None
        row.created_at, row.approved_at = row.created_at - timedelta(days=9), row.approved_at - timedelta(days=8)
    recent = (await stack.http.get("/api/inbox/summary")).json()
    assert recent["average_review_seconds"] == pytest.approx(sum(r.total_seconds() for r in reviews[1:]) / 2, abs=0.01)
    assert recent["approval_rate"] == 1 / 2
    bad = await stack.http.get("/api/inbox/summary", params={"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422
    assert "Unknown time zone" in bad.json()["detail"]


async def test_schedules_sync_keeps_exactly_one_schedule_per_location(stack: Stack, settings: Settings) -> None:
    client = stack.client
    location = Location(id="gone", name="Closed site", time_zone="UTC", default_sender_email="a@b.example",
                        default_sender_name="Closed")  # fmt: skip
    await ensure_schedule(client, location, settings)  # a schedule whose location no longer exists

    async def listed() -> bool:
        return "detection:gone" in {schedule.id async for schedule in await client.list_schedules()}

    await poll(listed, "the stale schedule to be visible")
    assert await sync_schedules(client, stack.engine, settings) == ["ams", "atx"]

    async def reconciled() -> set[str] | None:
        ids = {listed.id async for listed in await client.list_schedules()}
        return ids if ids == {"detection:ams", "detection:atx", INBOUND_RETENTION_ID} else None

    await poll(reconciled, "stale schedules to be removed, every location to have one, and one retention")
    description = await client.get_schedule_handle("detection:ams").describe()
    assert description.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP
