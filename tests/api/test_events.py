"""The space's systems reporting conversions and activity (visits, tours, bookings kept or not), and the sandbox
playing them: who may, what is refused and why, and a conversion recorded once and linked to the outreach it
followed."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from agents.registry import AGENTS
from models.messages import AgentType, TourStatus
from models.operators import Permission, create_operator
from models.tables import Booking, CheckIn, Contract, Invoice, ProposedAction, Tour
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


async def test_a_member_seen_again_completes_the_outreach_about_not_being_seen_once(stack: Stack) -> None:
    action = await pending_of(stack, "re_engagement")
    customer = action["customer"]["id"]
    await approved_and_sent(stack, action)
    visit = {"location_id": "ams", "customer_id": customer, "check_in_id": "door-1"}
    came = await stack.http.post("/api/events/check-in", json=visit)
    assert came.status_code == 200, came.text
    conversion = came.json()["conversion"]
    assert (conversion["kind"], conversion["proposed_action_id"]) == ("member_returned", action["id"])
    again = await stack.http.post("/api/events/check-in", json={**visit, "check_in_id": "door-2"})
    assert again.json()["conversion"]["id"] == conversion["id"]  # once per outreach, however often they come
    with Session(stack.engine) as session:
        visits = session.exec(select(CheckIn).where(col(CheckIn.customer_id) == customer)).all()
        assert {"ams:door-1", "ams:door-2"} <= {visit.id for visit in visits}
        sent = session.get(ProposedAction, action["id"])
        assert sent is not None
        gone = AGENTS[AgentType.re_engagement].resolved(session, sent, datetime.now(UTC))
        assert gone == "The member has been in since."

    # Nobody wrote to this member about not coming in: the visit is kept, and completes nothing.
    other = await stack.http.post("/api/events/check-in", json={**visit, "customer_id": "ams-c002",
                                                                 "check_in_id": "door-3"})  # fmt: skip
    assert other.status_code == 200 and other.json() == {"id": "door-3", "conversion": None}
    cases = [
        ({**visit, "customer_id": "ams-c002"}, 409, "Check-in 'door-1' is recorded for another customer"),
        ({**visit, "customer_id": "atx-c001"}, 404, "No customer with id 'atx-c001' at location 'ams'."),
        ({**visit, "source": "teleport"}, 422, "source: Input should be 'door', 'reception' or 'app'"),
        ({**visit, "at": "2026-12-01T09:00:00"}, 422, "at: Input should have timezone info"),
    ]
    for body, code, detail in cases:
        response = await stack.http.post("/api/events/check-in", json=body)
        assert response.status_code == code and detail in response.json()["detail"], response.text


async def test_a_tour_is_booked_moved_and_taken_and_the_outreach_before_it_learns_it(stack: Stack) -> None:
    action = await pending_of(stack, "tour_reminder")
    await approved_and_sent(stack, action)
    facts = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["facts"]
    tour_id = str(facts["tour_id"]).split(":", 1)[1]
    tour = {"location_id": "ams", "customer_id": action["customer"]["id"], "tour_id": tour_id}
    moved = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    response = await stack.http.post("/api/events/tour", json={**tour, "starts_at": moved.isoformat()})
    assert response.status_code == 200 and response.json()["conversion"] is None
    with Session(stack.engine) as session:
        found = session.get(Tour, f"ams:{tour_id}")
        assert found is not None and (found.starts_at, found.status) == (moved, TourStatus.scheduled)
    taken = await stack.http.post("/api/events/tour", json={**tour, "starts_at": moved.isoformat(),
                                                             "status": "attended"})  # fmt: skip
    conversion = taken.json()["conversion"]
    assert (conversion["kind"], conversion["proposed_action_id"]) == ("tour_attended", action["id"])

    # A new tour of another lead is recorded; the same id for someone else is refused.
    new = {"location_id": "ams", "customer_id": "ams-c005", "tour_id": "t-new", "starts_at": moved.isoformat()}
    assert (await stack.http.post("/api/events/tour", json=new)).status_code == 200
    taken_by_other = await stack.http.post("/api/events/tour", json={**new, "customer_id": "ams-c010"})
    assert taken_by_other.status_code == 409 and "Tour 't-new' is recorded for another" in taken_by_other.text
    unknown = await stack.http.post("/api/events/tour", json={**new, "status": "postponed"})
    assert unknown.status_code == 422 and "status: Input should be" in unknown.json()["detail"]


async def test_a_booking_reported_missed_is_what_the_no_show_agent_follows_up(stack: Stack) -> None:
    with Session(stack.engine) as session:
        booking = session.exec(select(Booking).where(col(Booking.customer_id) == "ams-c001")).first()
        austin = session.exec(select(Booking).where(col(Booking.customer_id) == "atx-c001")).first()
        assert booking is not None and austin is not None
    report = {"location_id": "ams", "booking_id": booking.id, "attended": False}
    missed = await stack.http.post("/api/events/booking-attendance", json=report)
    assert missed.status_code == 200 and missed.json() == {"id": booking.id, "conversion": None}
    with Session(stack.engine) as session:
        assert session.get(Booking, booking.id).attended is False  # type: ignore[union-attr]
    for body in ({"location_id": "ams", "booking_id": austin.id, "attended": True},
                 {"location_id": "ams", "booking_id": "nope", "attended": True}):  # fmt: skip
        refused = await stack.http.post("/api/events/booking-attendance", json=body)
        assert refused.status_code == 404 and refused.json()["detail"].startswith("No booking"), refused.text


async def test_a_payment_reported_on_its_way_is_kept_on_the_invoice_which_stays_unpaid(stack: Stack) -> None:
    with Session(stack.engine) as session:
        invoice = session.exec(select(Invoice).where(col(Invoice.location_id) == "ams",
                                                     col(Invoice.paid_at).is_(None))).first()  # fmt: skip
        assert invoice is not None
    body = {"location_id": "ams", "invoice_number": invoice.number, "reported_at": "2026-12-01T09:30:00+01:00"}
    reported = await stack.http.post("/api/events/payment-reported", json=body)
    assert reported.status_code == 200 and reported.json() == {"id": invoice.number, "conversion": None}
    with Session(stack.engine) as session:
        kept = session.get(Invoice, invoice.id)
        assert kept is not None and kept.paid_at is None
        assert kept.payment_reported_at == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    unknown = await stack.http.post("/api/events/payment-reported", json={**body, "invoice_number": "AMS-0000"})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "No invoice 'AMS-0000' at location 'ams'."
