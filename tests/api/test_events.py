"""The space's systems reporting conversions, and the sandbox playing them: who may, what is refused and why,
and a conversion recorded once and linked to the outreach it followed."""

from sqlmodel import Session, col, select

from models.operators import Permission, create_operator
from models.tables import Contract, Invoice
from tests.conftest import Stack
from tests.test_journey import approved_and_sent, pending_of


async def test_only_operators_allowed_to_report_them_at_their_locations_may(stack: Stack) -> None:
    with Session(stack.engine) as session:
        invoice = session.exec(select(Invoice).where(col(Invoice.location_id) == "ams")).first()
        assert invoice is not None
    paid = {"location_id": "ams", "invoice_number": invoice.number}
    reviewer = stack.as_operator(create_operator(stack.engine, name="Desk", email="desk@ams.example",
                                                 location_ids=["ams"], is_admin=False))  # fmt: skip
    refused = await stack.http.post("/api/events/invoice-paid", json=paid, headers=reviewer)
    assert refused.status_code == 403 and "spaceEvents" in refused.json()["detail"]
    austin = stack.as_operator(create_operator(stack.engine, name="Austin books", email="books@atx.example",
                                               location_ids=["atx"], is_admin=False,
                                               permissions=[Permission.space_events]))  # fmt: skip
    foreign = await stack.http.post("/api/events/invoice-paid", json=paid, headers=austin)
    assert (
        foreign.status_code == 404 and foreign.json()["detail"] == f"No invoice {invoice.number!r} at location 'ams'."
    )
    with Session(stack.engine) as session:
        assert session.get(Invoice, invoice.id).paid_at == invoice.paid_at  # type: ignore[union-attr]

    cases = [
        ("invoice-paid", {"location_id": "ams", "invoice_number": "AMS-0000"}, 404, "No invoice 'AMS-0000'"),
        ("invoice-paid", {**paid, "paid_at": "2026-11-30T10:00:00"}, 422, "paid_at: Input should have timezone info"),
        ("contract-renewed", {"location_id": "ams", "contract_id": "nope"}, 404, "No contract 'nope'"),
        ("booking-made", {"location_id": "ams", "customer_id": "atx-c001", "booking_id": "b1"}, 404,
         "No customer with id 'atx-c001' at location 'ams'."),
        ("lead-converted", {"location_id": "ams"}, 422, "customer_id: Field required"),
    ]  # fmt: skip
    for event, body, code, detail in cases:
        response = await stack.http.post(f"/api/events/{event}", json=body)
        assert response.status_code == code, (event, response.text)
        assert detail in response.json()["detail"]

    # A payment no outreach was about is recorded all the same, linked to nothing.
    unlinked = await stack.http.post("/api/events/invoice-paid", json=paid)
    assert unlinked.status_code == 200 and unlinked.json()["proposed_action_id"] is None


async def test_the_sandbox_plays_the_space_converting_a_delivered_outreach(stack: Stack) -> None:
    action = await pending_of(stack, "contract_renewal")
    early = await stack.http.post("/api/dev/simulate-conversion", json={"proposed_action_id": action["id"]})
    assert early.status_code == 409 and "this one is pending" in early.json()["detail"]
    await approved_and_sent(stack, action)
    converted = await stack.http.post("/api/dev/simulate-conversion", json={"proposed_action_id": action["id"]})
    assert converted.status_code == 200, converted.text
    assert (converted.json()["kind"], converted.json()["proposed_action_id"]) == ("contract_renewed", action["id"])
    with Session(stack.engine) as session:
        contract = session.get(Contract, converted.json()["reference"])
        assert contract is not None and contract.renewed
