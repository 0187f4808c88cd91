"""The customer's history as the inbox's panel and the escalation brief show it: newest first, each kind bounded,
the invoices open before the paid ones, and the matter the team has open, which holds every outreach."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from activities.briefs import customer_profile
from models.db import session_scope
from models.tables import Booking, Customer, Location, Resource
from safeguards.customer_history import customer_history
from tests.factories import LOCATION_ID, add_customer, add_invoice, add_location, add_open_matter

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 18)


def test_the_history_holds_what_happened_between_us_newest_first(engine: Engine) -> None:
    add_location(engine)
    add_customer(engine, "c1")
    add_invoice(engine, "INV-OLD", "c1", due=TODAY - timedelta(days=400), paid=True)  # paid long ago: not shown
    add_invoice(engine, "INV-PAID", "c1", due=TODAY - timedelta(days=40), paid=True)
    add_invoice(engine, "INV-DUE", "c1", due=TODAY - timedelta(days=12))
    add_open_matter(engine, "c1", "ticket", NOW - timedelta(hours=2))
    with session_scope(engine) as session:
        session.add(Resource(id="room", location_id=LOCATION_ID, name="Harbour Room", kind="meeting_room"))
        session.flush()
        for n, days in enumerate((-40, -3, 2)):  # one too old to show, one past, one to come
            start = NOW + timedelta(days=days)
            session.add(Booking(id=f"b{n}", customer_id="c1", resource_id="room", starts_at=start,
                                ends_at=start + timedelta(hours=1)))  # fmt: skip
    with Session(engine) as session:
        customer, location = session.get(Customer, "c1"), session.get(Location, LOCATION_ID)
        assert customer is not None and location is not None
        history = customer_history(session, customer, location, NOW)
        profile = customer_profile(session, customer, location, NOW)
    assert [(i.number, i.days_overdue, i.paid_at is not None) for i in history.invoices] == [
        ("INV-DUE", 12, False),
        ("INV-PAID", 0, True),
    ]
    assert history.open_matter == "The customer's help-desk ticket T-0001 is open."
    assert [(t.number, t.status.value) for t in history.tickets] == [("T-0001", "open")]
    assert [b.starts_at for b in history.bookings] == [NOW - timedelta(days=3), NOW + timedelta(days=2)]
    assert (history.time_zone, history.outreach, history.conversations) == ("Europe/Amsterdam", [], [])
    # The brief says the same in lines.
    assert "Open invoice INV-DUE: €1,234.56, due 2026-11-06 (12 days overdue)." in profile
    assert "Bookings: 1 in the last 30 days; upcoming: Harbour Room on 2026-11-20 16:00." in profile
