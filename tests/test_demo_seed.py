"""The demo space gives every agent type real candidates, and seeding twice changes nothing."""

from datetime import date, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from demo.seed import seed_demo_data
from models.tables import Booking, Contract, Customer, Invoice, LeadInquiry, Location


def count(session: Session, query: object) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()  # type: ignore[attr-defined]


def test_demo_data_has_candidates_for_every_agent_and_is_idempotent(engine: Engine) -> None:
    today = date(2026, 11, 21)
    assert seed_demo_data(engine, today) == ["ams", "atx"]
    with Session(engine) as session:
        locations = session.exec(select(Location)).all()
        assert len({location.time_zone for location in locations}) == 2
        customers = session.exec(select(Customer)).all()
        assert len(customers) >= 150
        assert any(c.opted_out for c in customers)
        assert any(c.mobile_phone is None for c in customers)
        assert {c.kind for c in customers} == {"member", "lead", "contact"}

        overdue_ages = {
            (today - invoice.due_date).days
            for invoice in session.exec(select(Invoice).where(col(Invoice.paid_at).is_(None))).all()
            if invoice.due_date <= today - timedelta(days=5)
        }
        assert len(overdue_ages) >= 4, overdue_ages
        expiring = select(Contract).where(
            col(Contract.ends_on) <= today + timedelta(days=30),
            col(Contract.renewed).is_(False),
            col(Contract.cancelled).is_(False),
        )
        assert count(session, expiring) > 0
        stale_leads = select(LeadInquiry).where(
            col(LeadInquiry.followed_up_at).is_(None), col(LeadInquiry.converted).is_(False)
        )
        assert count(session, stale_leads) > 0
        booked = select(Booking.customer_id)
        never_booked = select(Customer).where(
            col(Customer.kind) == "member",
            col(Customer.joined_on) <= today - timedelta(days=7),
            col(Customer.id).not_in(booked),
        )
        assert count(session, never_booked) > 0
        before = count(session, select(Invoice))

    assert seed_demo_data(engine, today) == []
    with Session(engine) as session:
        assert count(session, select(Invoice)) == before
        assert count(session, select(Customer)) == len(customers)
