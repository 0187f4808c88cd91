"""Safe batch approval over HTTP: several proposals of one agent, each confident enough, approved as drafted in one
request — the set checked whole before anything is approved, then each validated on its own, one refused not
stopping the others — and everything that does not belong in a batch refused in words."""

from typing import Any

from models.messages import AgentType
from models.operators import Permission, create_operator
from tests.conftest import Stack, poll


async def confident(stack: Stack, agent_type: str, at_least: int = 80) -> list[dict[str, Any]]:
    """The agent's proposals at ams at least this confident, once every outreach its detection run started has
    recorded its proposal (some four of them)."""
    started = (await stack.detect("ams", only=AgentType(agent_type))).started

    async def listed() -> list[dict[str, Any]] | None:
        params: dict[str, str | int] = {"agent_type": agent_type, "status": "pending", "page_size": 200}
        items = (await stack.http.get("/api/inbox", params=params)).json()["items"]
        sure = [item for item in items if item["confidence"] >= at_least and item["reachable"] is not False]
        return sure if len(items) == started and len(sure) >= 4 else None

    return await poll(listed, f"every {agent_type} proposal, four of them confident")


async def test_an_agents_confident_proposals_are_approved_together_each_on_its_own(stack: Stack) -> None:
    first, second, third, gone = (await confident(stack, "due_invoice"))[:4]
    # One of them can no longer be decided (its workflow is gone): it is said so, and the others go.
    await stack.client.get_workflow_handle(gone["id"]).terminate(reason="the test")
    ids = [first["id"], second["id"], third["id"], gone["id"]]
    answer = await stack.http.post("/api/inbox/approve-batch", json={"action_ids": ids, "review_notes": "Batch"})
    assert answer.status_code == 200, answer.text
    outcomes = {outcome["action_id"]: outcome for outcome in answer.json()}
    assert [outcomes[i]["approved"] for i in ids] == [True, True, True, False]
    assert "only pending or snoozed proposals can be decided" in outcomes[gone["id"]]["detail"]
    for action_id in ids[:3]:
        timeline = (await stack.http.get(f"/api/inbox/{action_id}")).json()["timeline"]
        assert any(entry["body"] == "Approved. Review notes: Batch" for entry in timeline)

        async def sent(action_id: str = action_id) -> bool:
            return (await stack.http.get(f"/api/inbox/{action_id}")).json()["status"] == "sent"

        await poll(sent, "each approved proposal to be sent")


async def test_what_does_not_belong_in_a_batch_is_refused_before_anything_is_approved(stack: Stack) -> None:
    invoices = sorted(await confident(stack, "due_invoice", at_least=0), key=lambda item: item["confidence"])
    least = invoices[0]
    assert least["confidence"] < 100, "the demo has due invoices of different confidence"
    await stack.detect("ams", only=AgentType.contract_renewal)

    async def pending_renewals() -> list[dict[str, Any]] | None:
        params = {"agent_type": "contract_renewal", "status": "pending"}
        return (await stack.http.get("/api/inbox", params=params)).json()["items"] or None

    renewals = await poll(pending_renewals, "a contract renewal's proposal")
    one, two = invoices[-1]["id"], invoices[-2]["id"]
    cases = [
        ({"action_ids": [one, renewals[0]["id"]]}, 422, "A batch is one agent's proposals"),
        ({"action_ids": [one, one]}, 422, "named twice"),
        ({"action_ids": [one, least["id"]], "min_confidence": least["confidence"] + 1}, 422, "review those one by one"),
        ({"action_ids": []}, 422, "action_ids"),
        ({"action_ids": [one] * 21}, 422, "action_ids"),
        ({"action_ids": [one, "no-such-proposal"]}, 404, "no-such-proposal"),
    ]
    for body, code, words in cases:
        refused = await stack.http.post("/api/inbox/approve-batch", json=body)
        assert refused.status_code == code and words in str(refused.json()["detail"]), (body, refused.text)
    assert (await stack.http.get(f"/api/inbox/{one}")).json()["status"] == "pending"  # nothing was approved

    austin = stack.as_operator(create_operator(stack.engine, name="Austin", email="desk@atx.example",
                                               location_ids=["atx"], is_admin=False))  # fmt: skip
    reader = stack.as_operator(create_operator(stack.engine, name="Reader", email="reader@ams.example",
                                               location_ids=["ams"], is_admin=False,
                                               permissions=[Permission.space_events]))  # fmt: skip
    unseen = await stack.http.post("/api/inbox/approve-batch", json={"action_ids": [one]}, headers=austin)
    assert unseen.status_code == 404
    forbidden = await stack.http.post("/api/inbox/approve-batch", json={"action_ids": [one]}, headers=reader)
    assert forbidden.status_code == 403 and "proposedAction" in forbidden.json()["detail"]
    approved = await stack.http.post("/api/inbox/approve-batch", json={"action_ids": [one]})
    assert approved.json()[0]["approved"]
    again = await stack.http.post("/api/inbox/approve-batch", json={"action_ids": [one, two]})
    assert again.status_code == 409 and "Nothing was approved" in again.json()["detail"]
    assert (await stack.http.get(f"/api/inbox/{two}")).json()["status"] == "pending"
