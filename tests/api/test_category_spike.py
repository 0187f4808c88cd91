"""The support category spike end to end: the space's help desk reports its tickets with their categories (only at
the reporter's own locations, a bad report refused in words), the demo's help desk has its usual weeks and this
week's run of Wi-Fi trouble, and a detection run proposes each category far above its usual week to the team;
approving one opens one ticket for the team (about no customer) in that category, with the tickets listed."""

from typing import Any

from sqlmodel import Session, col, select

from models.messages import AgentType
from models.operators import Permission, create_operator
from models.tables import Customer, ProposedAction, Ticket
from tests.conftest import Stack, poll

PRINTER = ["The printer on floor 2 jams", "Cannot print from my laptop", "Printer out of toner"]


def member_of(stack: Stack, location_id: str) -> str:
    with Session(stack.engine) as session:
        customer = session.exec(select(Customer).where(col(Customer.location_id) == location_id)).first()
        assert customer is not None
        return customer.id


async def test_the_space_reports_tickets_and_a_category_far_above_its_usual_week_goes_to_the_team(
    stack: Stack,
) -> None:
    ams, atx = member_of(stack, "ams"), member_of(stack, "atx")
    austin = stack.as_operator(create_operator(stack.engine, name="Austin desk", email="desk@atx.example",
                                               location_ids=["atx"], is_admin=False,
                                               permissions=[Permission.space_events]))  # fmt: skip
    report = {"location_id": "ams", "customer_id": ams, "ticket_id": "HD-1", "subject": "Printer jams",
              "category": "  Printer "}  # fmt: skip
    refused = [
        ({**report, "location_id": "atx"}, {}, 404, f"No customer with id {ams!r} at location 'atx'."),
        ({**report, "customer_id": None}, austin, 404, "No location with id 'ams'."),
        ({**report, "customer_id": atx}, {}, 404, f"No customer with id {atx!r} at location 'ams'."),
        ({**report, "subject": "   "}, {}, 422, "the subject is empty"),
        ({**report, "category": " "}, {}, 422, "the category is empty"),
        ({**report, "category": "x" * 41}, {}, 422, "category"),
    ]
    for body, headers, code, detail in refused:
        response = await stack.http.post("/api/events/ticket", json=body, headers=headers)
        assert response.status_code == code and detail in response.json()["detail"], (body, response.text)

    for n, subject in enumerate(PRINTER):
        reported = await stack.http.post("/api/events/ticket", json={**report, "ticket_id": f"HD-{n}",
                                                                     "subject": subject})  # fmt: skip
        assert reported.status_code == 200 and reported.json()["id"] == f"HD-{n}", reported.text
    # Reported again, solved: the same ticket, updated; not someone else's.
    again = await stack.http.post("/api/events/ticket", json={**report, "ticket_id": "HD-0", "status": "solved",
                                                              "subject": PRINTER[0]})  # fmt: skip
    assert again.status_code == 200, again.text
    conflict = await stack.http.post("/api/events/ticket", json={**report, "ticket_id": "HD-0", "customer_id": None})
    assert conflict.status_code == 409 and "report it with its customer_id" in conflict.json()["detail"]
    listed = (await stack.http.get("/api/helpdesk/tickets", params={"category": "PRINTER"})).json()
    assert sorted((item["subject"], item["status"], item["category"]) for item in listed["items"]) == [
        ("Cannot print from my laptop", "open", "printer"), ("Printer out of toner", "open", "printer"),
        ("The printer on floor 2 jams", "solved", "printer")]  # fmt: skip

    await stack.detect("ams", only=AgentType.category_spike)

    async def spikes() -> dict[str, dict[str, Any]] | None:
        page = await stack.http.get("/api/inbox", params={"agent_type": "category_spike", "location_id": "ams"})
        found = {item["subject"]: item for item in page.json()["items"]}
        return found if len(found) == 2 else None

    found = await poll(spikes, "the printer's and the demo's Wi-Fi spikes")
    assert set(found) == {"3 “printer” tickets this week (usually 0)", "5 “wi-fi” tickets this week (usually 0.5)"}
    item = found["3 “printer” tickets this week (usually 0)"]
    assert (item["channel"], item["customer"], item["priority"]) == ("team", None, "high")
    approved = await stack.http.post(f"/api/inbox/{item['id']}/approve", json={})
    assert approved.status_code == 200, approved.text

    async def created() -> ProposedAction | None:
        with Session(stack.engine) as session:
            row = session.get(ProposedAction, item["id"])
            return row if row is not None and row.status == "sent" else None

    await poll(created, "the ticket created for the team")
    with Session(stack.engine) as session:
        [opened] = session.exec(select(Ticket).where(col(Ticket.requester_id).is_(None))).all()
    detail = (await stack.http.get(f"/api/helpdesk/tickets/{opened.id}")).json()
    assert (detail["requester_id"], detail["category"], detail["status"]) == (None, "printer", "open")
    [note] = detail["comments"]
    assert not note["public"] and all(subject in note["body_html"] for subject in PRINTER)
