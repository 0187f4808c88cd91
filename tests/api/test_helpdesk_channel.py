"""The `helpdesk` channel end to end: an operator takes a proposal over into a ticket of the built-in help desk
with a department, a priority and internal notes; the customer is told by email without ever seeing the notes;
the ticket is linked to the conversation and worked through `/api/helpdesk`."""

import asyncio
from typing import Any

from sqlmodel import Session, select

from models.operators import create_operator
from models.tables import Delivery, Operator, TimelineEntry
from tests.conftest import Stack, poll


async def taken_over(stack: Stack, **approval: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    action = await stack.pending_email()
    answer = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "helpdesk", **approval})
    assert answer.status_code == 200, answer.text

    async def sent() -> dict[str, Any] | None:
        detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
        return detail if detail["status"] == "sent" else None

    await poll(sent, "the ticket to be opened")
    tickets = (await stack.http.get("/api/helpdesk/tickets", params={"location_id": "ams"})).json()["items"]
    [ticket] = [t for t in tickets if t["proposed_action_id"] == action["id"]]
    return action, (await stack.http.get(f"/api/helpdesk/tickets/{ticket['id']}")).json()


async def test_a_takeover_opens_a_ticket_and_tells_the_customer_without_the_notes(stack: Stack) -> None:
    notes = "Called twice last week; be kind."
    approval = {"department_id": "ams-billing", "priority": "high", "internal_notes": notes, "review_notes": "Checked"}
    action, ticket = await taken_over(stack, **approval)
    assert (ticket["status"], ticket["priority"], ticket["department_id"]) == ("open", "high", "ams-billing")
    assert ticket["conversation_id"] == f"conversation:{action['id']}"
    public, note = ticket["comments"]
    assert (
        public["public"]
        and public["body_html"] == (await stack.http.get(f"/api/inbox/{action['id']}")).json()["body_html"]
    )
    assert not note["public"] and "Called twice last week; be kind." in note["body_html"]

    outbox = (await stack.http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()["items"]
    [notification] = [item for item in outbox if item["subject"].startswith(f"[{ticket['number']}]")]
    assert f"We have opened ticket {ticket['number']} for you." in notification["body_html"]
    assert "Called twice" not in notification["body_html"] and "Checked" not in notification["body_html"]
    with Session(stack.engine) as session:
        row = session.exec(select(Delivery).where(Delivery.id == ticket["id"])).one()
        entry = session.get(TimelineEntry, f"delivery:{ticket['id']}")
    assert (row.channel, row.provider, row.provider_message_id) == ("helpdesk", "helpdesk", ticket["number"])
    assert entry is not None and entry.sender == "operator"
    assert entry.body.startswith("Opened a high-priority help-desk ticket in Billing: ")
    timeline = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
    [opened] = [item for item in timeline if item["delivery_id"] == ticket["id"]]
    link = f"/api/helpdesk/tickets/{ticket['id']}"
    assert opened["source"] == {"provider": "helpdesk", "provider_id": ticket["number"], "status": "sent",
                                "message_id": f"ticket-{ticket['id']}", "link": link, "kind": None, "label": None,
                                "attachments": []}  # fmt: skip
    assert any(item["id"] == ticket["id"] for item in outbox)  # the ticket never left the machine


async def test_the_team_works_the_ticket_and_other_locations_cannot_see_it(stack: Stack) -> None:
    _, ticket = await taken_over(stack)
    assert ticket["priority"] == "normal" and ticket["department_id"] is None
    path = f"/api/helpdesk/tickets/{ticket['id']}"
    note = await stack.http.post(f"{path}/comments", json={"body_html": "<p>On it</p><script>x</script>",
                                                           "public": False})  # fmt: skip
    assert note.status_code == 201 and note.json()["comments"][-1]["body_html"] == "<p>On it</p>"
    solved = await stack.http.patch(path, json={"status": "solved", "department_id": "ams-sales"})
    assert (solved.json()["status"], solved.json()["department_id"]) == ("solved", "ams-sales")
    wrong = await stack.http.patch(path, json={"department_id": "atx-sales"})
    assert wrong.status_code == 422 and "no help-desk department 'atx-sales' at this location" in wrong.json()["detail"]
    stranger = create_operator(stack.engine, name="Austin", email="desk@atx.example", location_ids=["atx"],
                               is_admin=False)  # fmt: skip
    assert (await stack.http.get(path, headers=stack.as_operator(stranger))).status_code == 404
    # Assigned to one of the location's team — never to an operator of another location or to no one known.
    create_operator(stack.engine, name="Amsterdam desk", email="desk@ams.example", location_ids=["ams"],
                    is_admin=False)  # fmt: skip
    team = {ref["name"]: ref["id"] for ref in (await stack.http.get(path)).json()["assignable"]}
    assert "Amsterdam desk" in team and "Austin" not in team
    assigned = await stack.http.patch(path, json={"assignee_id": team["Amsterdam desk"]})
    assert assigned.json()["assignee"] == {"id": team["Amsterdam desk"], "name": "Amsterdam desk"}
    for someone in ("nobody-at-all", stranger_id(stack)):
        refused = await stack.http.patch(path, json={"assignee_id": someone})
        assert refused.status_code == 422 and "Amsterdam desk" in refused.json()["detail"]
    assert (await stack.http.get(path)).json()["assignee_id"] == team["Amsterdam desk"]
    unassigned = await stack.http.patch(path, json={"assignee_id": ""})
    assert (unassigned.json()["assignee_id"], unassigned.json()["assignee"]) == (None, None)
    departments = (await stack.http.get("/api/helpdesk/departments", params={"location_id": "ams"})).json()
    assert [d["name"] for d in departments] == ["Billing", "Community", "Sales"]


def stranger_id(stack: Stack) -> str:
    with Session(stack.engine) as session:
        return session.exec(select(Operator).where(Operator.email == "desk@atx.example")).one().id


async def test_a_ticket_for_another_locations_department_or_an_unknown_priority_is_refused(stack: Stack) -> None:
    action = await stack.pending_email()
    for approval, words in (
        ({"department_id": "atx-billing"}, "There is no help-desk department 'atx-billing' at this location"),
        ({"priority": "urgent"}, "priority: Input should be 'low', 'normal', 'high' or 'critical'"),
    ):
        answer = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={"channel": "helpdesk", **approval})
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"]
    assert (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "pending"


async def test_an_answer_posted_twice_at_once_is_added_and_sent_once(stack: Stack) -> None:
    action, ticket = await taken_over(stack)
    path = f"/api/helpdesk/tickets/{ticket['id']}/comments"
    answer = {"body_html": "<p>Sorted: the late fee is waived.</p>", "public": True, "request_id": "double-click-1"}
    posted = await asyncio.gather(*(stack.http.post(path, json=answer) for _ in range(3)))  # a double click, twice
    assert {response.status_code for response in posted} == {201}
    again = (await stack.http.post(path, json=answer)).json()  # and a retry later
    assert [comment["body_html"] for comment in again["comments"]].count(answer["body_html"]) == 1

    async def emailed() -> list[dict[str, Any]] | None:
        outbox = (await stack.http.get("/api/outbox", params={"proposed_action_id": action["id"]})).json()["items"]
        return [item for item in outbox if "late fee is waived" in item["body_html"]] or None

    await poll(emailed, "the answer in the outbox")  # one delivery id: the provider is asked once however it goes
    other = {**answer, "request_id": "double-click-2"}  # another answer, the same words: its own
    assert [c["body_html"] for c in (await stack.http.post(path, json=other)).json()["comments"]].count(
        answer["body_html"]) == 2  # fmt: skip
