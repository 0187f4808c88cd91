"""The locations' safeguards through the API: who sees and changes them, what is refused and why, and a change the
next check before a send applies."""

from sqlmodel import Session

from models.operators import Permission, create_operator
from models.tables import Location
from tests.conftest import Stack


async def test_an_operator_sees_their_locations_and_changes_their_safeguards_within_limits(stack: Stack) -> None:
    everything = (await stack.http.get("/api/locations")).json()
    assert [location["id"] for location in everything] == ["ams", "atx"]
    assert (everything[0]["contact_budget"], everything[0]["contact_budget_days"]) == (3, 7)
    assert everything[0]["quiet_hours"] == {}

    desk = stack.as_operator(create_operator(stack.engine, name="Desk", email="desk@ams.example",
                                             location_ids=["ams"], is_admin=False))  # fmt: skip
    assert [row["id"] for row in (await stack.http.get("/api/locations", headers=desk)).json()] == ["ams"]
    refused = await stack.http.put("/api/locations/ams", json={"contact_budget": 2}, headers=desk)
    assert refused.status_code == 403 and "agentConfig" in refused.json()["detail"]
    manager = stack.as_operator(create_operator(stack.engine, name="Ams manager", email="manager@ams.example",
                                                location_ids=["ams"], is_admin=False,
                                                permissions=[Permission.agent_config]))  # fmt: skip
    foreign = await stack.http.put("/api/locations/atx", json={"contact_budget": 2}, headers=manager)
    assert foreign.status_code == 404 and foreign.json()["detail"] == "No location with id 'atx'."

    quiet = {"ai_email": ["21:00", "08:00"], "sms": ["20:30", "09:00"]}
    changed = await stack.http.put("/api/locations/ams", json={"contact_budget": 2, "quiet_hours": quiet},
                                   headers=manager)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["contact_budget"], changed.json()["quiet_hours"]) == (2, quiet)
    with Session(stack.engine) as session:
        kept = session.get(Location, "ams")
        assert kept is not None and (kept.contact_budget, kept.contact_budget_days) == (2, 7)
        assert kept.quiet_hours == quiet

    cases = [
        ({"contact_budget": 0}, "contact_budget: Input should be greater than or equal to 1"),
        ({"quiet_hours": {"ai_email": ["25:00", "08:00"]}}, "String should match pattern"),
        ({"quiet_hours": {"fax": ["21:00", "08:00"]}}, "quiet_hours.fax.[key]: Input should be"),
        ({"quiet_hours": {"sms": ["21:00"]}}, "List should have at least 2 items"),
        ({"name": "Renamed"}, "name: Extra inputs are not permitted"),
    ]
    for body, detail in cases:
        response = await stack.http.put("/api/locations/ams", json=body, headers=manager)
        assert response.status_code == 422 and detail in response.json()["detail"], (body, response.text)
