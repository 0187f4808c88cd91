"""Demo data: two coworking locations in different time zones with a realistic mix of customers,
so every agent type has real candidates. Deterministic (fixed random seed, stable ids) and
idempotent: a location that already exists is left untouched."""

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from agents.registry import ROSTER
from models.db import session_scope
from models.messages import (
    Channel,
    ConversationStatus,
    EscalationReason,
    Priority,
    Sender,
    TicketStatus,
    TourStatus,
)
from models.tables import (
    AgentConfig,
    Booking,
    CheckIn,
    Contract,
    Conversation,
    Customer,
    FaqArticle,
    HelpdeskDepartment,
    Invoice,
    InvoiceLine,
    LeadInquiry,
    Location,
    Plan,
    Resource,
    Ticket,
    TicketComment,
    TimelineEntry,
    Tour,
)
from providers.helpdesk import ticket_number

CUSTOMERS_PER_LOCATION = 90

# What members asked the chat that neither the tools nor the FAQ answer, and the team's answer on one ticket of
# each question (None: not answered).
ASKED_THE_TEAM = [
    ("Can I have parcels delivered to the space?", None),
    (
        "Can my packages be sent to this address?",
        "Yes: reception signs for parcels on weekdays and keeps them behind the desk for a week.",
    ),
    ("Is there a printer I can use?", None),
    ("Can I get post delivered here for my company?", None),
    (
        "Where can I print something?",
        "The printer is next to the kitchen on every floor; print from the portal and badge in to collect it.",
    ),
]

# The help desk's usual weeks (a category, what members write, every how many days over the last eight weeks),
# and this week's run of one category: the category spike agent's work.
USUAL_TICKETS = [
    ("cleaning", "The kitchen was not cleaned this morning", 7),
    ("wi-fi", "The Wi-Fi dropped for a few minutes", 14),
    ("access", "My badge does not open the front door", 21),
]
THIS_WEEK_TICKETS = ("wi-fi", ["The Wi-Fi keeps disconnecting", "No Wi-Fi on the second floor",
                               "The Wi-Fi is very slow since Monday", "I cannot connect to the Wi-Fi",
                               "My video calls drop on the Wi-Fi"])  # fmt: skip

FIRST_NAMES = [
    "Emma", "Liam", "Sophie", "Noah", "Julia", "Daan", "Mila", "Lucas", "Tess", "Finn", "Olivia", "James",
    "Ava", "Mateo", "Isabella", "Ethan", "Zoe", "Omar", "Priya", "Kenji", "Amara", "Lars", "Chloe", "Diego",
    "Hannah", "Yusuf", "Grace", "Ravi", "Nora", "Felix",
]  # fmt: skip
LAST_NAMES = [
    "de Jong", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Garcia", "Nguyen", "Patel",
    "Johnson", "Kim", "Okafor", "Rossi", "Schmidt", "Andersson", "Dubois", "Silva", "Cohen", "Tanaka",
    "Walker", "Hughes", "Lopez",
]  # fmt: skip
COMPANIES = [
    "Northwind Studio", "Bright Pixel", "Tidewater Labs", "Copperleaf Design", "Atlas Analytics", "Fernhill Media",
    "Quayside Legal", "Bluebird Health", "Granite Ventures", None, None, None,
]  # fmt: skip


@dataclass(frozen=True)
class DemoLocation:
    id: str
    name: str
    time_zone: str
    currency: str
    mobile: str  # a valid mobile number pattern for the country, {} filled with digits
    domain: str
    tone: str
    plans: tuple[tuple[str, int], ...]  # name, monthly price in cents
    hours: dict[str, list[list[str]]]
    address: str
    wifi: tuple[str, str]  # network, password
    day_pass_cents: int
    offices: tuple[tuple[str, int, int], ...]  # name, seats, monthly price in cents


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]

LOCATIONS = [
    DemoLocation(
        id="ams",
        name="Canal House Amsterdam",
        time_zone="Europe/Amsterdam",
        currency="EUR",
        mobile="+316{}",
        domain="canalhouse.example",
        tone="warm",
        plans=(("Flex Desk", 25000), ("Dedicated Desk", 42500), ("Private Office", 125000)),
        hours={day: [["09:00", "18:00"]] for day in WEEKDAYS},
        address="Herengracht 182, 1016 BR Amsterdam",
        wifi=("CanalHouse-Members", "tulips-and-bikes"),
        day_pass_cents=3500,
        offices=(("Office 2.1 (canal view)", 2, 95000), ("Office 2.4", 4, 165000), ("Office 3.2", 6, 240000)),
    ),
    DemoLocation(
        id="atx",
        name="Eastside Works Austin",
        time_zone="America/Chicago",
        currency="USD",
        mobile="+1512{}",
        domain="eastsideworks.example",
        tone="professional",
        plans=(("Hot Desk", 29900), ("Dedicated Desk", 49900), ("Team Office", 189000)),
        hours={**{day: [["08:00", "19:00"]] for day in WEEKDAYS}, "sat": [["10:00", "14:00"]]},
        address="1100 E 6th St, Austin, TX 78702",
        wifi=("Eastside-Works", "breakfast-tacos-512"),
        day_pass_cents=3000,
        offices=(("Studio A", 2, 120000), ("Studio C", 4, 210000), ("Corner Office", 8, 380000)),
    ),
]

# A lead's tour by (its number / 5) % 4: in how many days it is (or was) and how it went.
TOURS = {0: (1, TourStatus.scheduled), 1: (-3, TourStatus.no_show), 2: (-9, TourStatus.attended)}

# The days every demo location closes for, in this year and the next.
HOLIDAYS = ("01-01", "12-25")

FAQ = [
    (
        "What are the opening hours?",
        "Staffed hours are listed on the location page; members have 24/7 access.",
    ),
    (
        "How do I book a meeting room?",
        "Book in the member portal; rooms are billed per hour from your credits.",
    ),
    ("Can I bring guests?", "Yes. Register guests in the portal so reception can welcome them."),
    (
        "How do I pay an invoice?",
        "Every invoice email has a secure payment link; cards and bank transfer work.",
    ),
    ("Is there a day pass?", "Day passes are available in the portal and include coffee and Wi-Fi."),
]


def seed_demo_data(engine: Engine, today: date | None = None, customers: int = CUSTOMERS_PER_LOCATION) -> list[str]:
    """Create the demo locations that do not exist yet; returns the ids it created. Fewer `customers` make a
    smaller space with the same first customers (each location's data comes from its own seeded sequence)."""
    created = []
    with session_scope(engine) as session:
        for demo in LOCATIONS:
            if session.get(Location, demo.id) is None:
                _seed_location(session, demo, today or datetime.now(ZoneInfo(demo.time_zone)).date(), customers)
                created.append(demo.id)
    return created


def _seed_location(session: Session, demo: DemoLocation, today: date, customers: int) -> None:
    rng = random.Random(f"outreach-demo-{demo.id}")
    # Visits and tours draw from a sequence of their own, so the rest of the space is what it always was.
    visits = random.Random(f"outreach-demo-visits-{demo.id}")
    tz = ZoneInfo(demo.time_zone)

    def at(day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), tz).astimezone(UTC)

    session.add(
        Location(
            id=demo.id,
            name=demo.name,
            time_zone=demo.time_zone,
            currency=demo.currency,
            business_hours=demo.hours,
            closures=[f"{year}-{day}" for year in (today.year, today.year + 1) for day in HOLIDAYS],
            persona_tone=demo.tone,
            persona_personality="upbeat, on first-name terms with members"
            if demo.tone == "warm"
            else "courteous and concise",
            persona_signature=f"The {demo.name} team",
            voice_enabled=demo.id == "atx",
            default_sender_email=f"hello@{demo.domain}",
            default_sender_name=demo.name,
            portal_url=f"https://portal.{demo.domain}",
            address=demo.address,
            wifi_network=demo.wifi[0],
            wifi_password=demo.wifi[1],
            day_pass_price_cents=demo.day_pass_cents,
        )
    )
    session.flush()  # rows below reference the location
    plans = [
        Plan(id=f"{demo.id}-plan-{n}", location_id=demo.id, name=name, monthly_price_cents=price)
        for n, (name, price) in enumerate(demo.plans, start=1)
    ]
    resources: list[Resource] = (
        [Resource(id=f"{demo.id}-desk-{n}", location_id=demo.id, name=f"Desk {n}", kind="desk") for n in range(1, 9)]
        + [
            Resource(
                id=f"{demo.id}-room-{n}",
                location_id=demo.id,
                name=name,
                kind="meeting_room",
                capacity=capacity,
                hourly_rate_cents=rate,
            )
            for n, (name, capacity, rate) in enumerate(
                [("Harbour Room", 6, 3500), ("Loft", 12, 6000), ("Phone Booth", 1, 0)], start=1
            )
        ]
        + [
            Resource(
                id=f"{demo.id}-office-{n}",
                location_id=demo.id,
                name=name,
                kind="office",
                capacity=seats,
                monthly_price_cents=price,
                description=f"A private office for up to {seats}, furnished, "
                "with 24/7 access and meeting-room credits.",
            )
            for n, (name, seats, price) in enumerate(demo.offices, start=1)
        ]
    )
    session.add_all([*plans, *resources])
    session.add_all(
        FaqArticle(id=f"{demo.id}-faq-{n}", location_id=demo.id, question=question, answer=answer)
        for n, (question, answer) in enumerate(FAQ, start=1)
    )
    session.add_all(
        AgentConfig(
            location_id=demo.id,
            agent_type=agent.type,
            threshold_days=agent.threshold_days,
            default_channel=agent.channel,
        )
        for agent in ROSTER.values()
    )
    session.add_all(
        HelpdeskDepartment(id=f"{demo.id}-{name.lower()}", location_id=demo.id, name=name)
        for name in ("Billing", "Sales", "Community")
    )
    session.flush()

    invoice_seq = 1000
    asking: list[str] = []  # members who can be written to, the last of whom asked the team something
    for n in range(1, customers + 1):
        customer_id = f"{demo.id}-c{n:03d}"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        kind = "lead" if n % 5 == 0 else ("contact" if n % 11 == 0 else "member")
        plan = rng.choice(plans)
        # Members joined up to two years ago; every ninth one only recently (first-booking candidates).
        tenure_days = rng.randint(8, 25) if n % 9 == 0 else rng.randint(60, 730)
        joined = today - timedelta(days=tenure_days)
        email_local = f"{first}.{last}".lower().replace(" ", "")
        customer = Customer(
            id=customer_id,
            location_id=demo.id,
            name=f"{first} {last}",
            email=None if n % 31 == 0 else f"{email_local}{n}@mail.example",
            mobile_phone=_mobile(demo, n, rng),
            kind=kind,
            company=rng.choice(COMPANIES),
            plan_id=plan.id if kind == "member" else None,
            joined_on=joined if kind == "member" else None,
            opted_out=n % 13 == 0,
        )
        session.add(customer)
        session.flush()
        if kind == "member" and customer.email and not customer.opted_out:
            asking.append(customer_id)

        if kind == "lead":
            inquired_days = rng.choice([2, 4, 8, 12, 20, 30])
            session.add(
                LeadInquiry(
                    id=f"{customer_id}-lead",
                    location_id=demo.id,
                    customer_id=customer_id,
                    inquired_at=at(today - timedelta(days=inquired_days), 11),
                    message=rng.choice(
                        [
                            "Hi, do you have a dedicated desk available from next month for two people?",
                            "Looking for a private office for a team of 5. What are your rates?",
                            "Can I try a day pass before signing up?",
                            "Do you offer meeting rooms for half-day workshops?",
                        ]
                    ),
                    followed_up_at=at(today - timedelta(days=inquired_days - 1)) if n % 3 == 0 else None,
                    converted=n % 7 == 0,
                )
            )
            # Tours: most leads have one — tomorrow, missed a few days ago, or taken.
            tour = TOURS.get(n // 5 % 4)
            if tour is not None:
                session.add(Tour(id=f"{demo.id}:{customer_id}-tour", location_id=demo.id, customer_id=customer_id,
                                 starts_at=at(today + timedelta(days=tour[0]), 11), status=tour[1],
                                 updated_at=at(today)))  # fmt: skip
            continue
        if kind != "member":
            continue

        # Contracts: most run for months; some end within the month, a few of those renewed or cancelled.
        ends_in = rng.choice([12, 20, 25, 45, 90, 120, 180, 240])
        session.add(
            Contract(
                id=f"{customer_id}-contract",
                location_id=demo.id,
                customer_id=customer_id,
                plan_id=plan.id,
                starts_on=joined,
                ends_on=today + timedelta(days=ends_in),
                renewed=ends_in < 30 and n % 4 == 0,
                cancelled=ends_in < 30 and n % 6 == 0,
            )
        )

        # Invoice history: a habitual late payer every seventh member, otherwise on time.
        habitual_late = n % 7 == 0
        months = min(4, max(1, tenure_days // 30))
        for month in range(months, 0, -1):
            invoice_seq += 1
            issued = today - timedelta(days=30 * month + 14)
            due = issued + timedelta(days=14)
            paid_after = rng.choice([12, 20, 30]) if habitual_late else rng.choice([-3, -1, 0, 2])
            session.add_all(
                _invoice(
                    demo,
                    customer_id,
                    invoice_seq,
                    [(plan.name, 1, plan.monthly_price_cents)],
                    issued,
                    due,
                    at(due + timedelta(days=paid_after)),
                )
            )
        # The current invoice: overdue by several ages for some, not yet due for others.
        invoice_seq += 1
        overdue_days = rng.choice([-10, -3, 2, 6, 9, 15, 23, 34, 48, 61]) if n % 2 == 0 or habitual_late else None
        if overdue_days is not None:
            due = today - timedelta(days=overdue_days)
            room_hours = rng.choice([0, 0, 1, 2])  # meeting-room hours on top of the plan
            lines = [(plan.name, 1, plan.monthly_price_cents)]
            if room_hours:
                lines.append(("Harbour Room, meeting-room hours", room_hours, 3500))
            session.add_all(_invoice(demo, customer_id, invoice_seq, lines, due - timedelta(days=14), due, None))

        if n % 9 != 0:  # the recent joiners have not booked yet
            for b in range(rng.randint(1, 4)):
                start = at(today - timedelta(days=rng.randint(1, 40)), 9 + b)
                missed = b == 0 and n % 8 == 0  # every eighth member's first booking, two days ago, missed
                start = at(today - timedelta(days=2), 9) if missed else start
                session.add(
                    Booking(
                        id=f"{customer_id}-b{b}",
                        customer_id=customer_id,
                        resource_id=rng.choice(resources).id,
                        starts_at=start,
                        ends_at=start + timedelta(hours=2),
                        attended=not missed,
                    )
                )
            # Coming less and less with the contract ending within two months: at risk of not renewing.
            slowing = n % 3 == 1 and ends_in <= 60 and not (ends_in < 30 and (n % 4 == 0 or n % 6 == 0))
            session.add_all(_check_ins(demo, customer_id, n, today, visits, at, slowing))
    _asked_the_team(session, demo, asking[-len(ASKED_THE_TEAM) :], today, at)
    _help_desk_weeks(session, demo, asking, today, at)


def _check_ins(
    demo: DemoLocation,
    customer_id: str,
    n: int,
    today: date,
    rng: random.Random,
    at: Callable[[date, int], datetime],
    slowing: bool,
) -> list[CheckIn]:
    """Three months of a member's visits, every two to four days, most of them in this week: every sixth member has
    not been seen for a few weeks; a `slowing` one has come only weekly for the last four; every fourth one (from
    the third) comes nearly every day."""
    day = today - timedelta(days=rng.choice([16, 21, 30]) if n % 6 == 0 else rng.choice([0, 1, 2, 3, 5]))
    found = []
    while day > today - timedelta(days=90):
        found.append(CheckIn(id=f"{demo.id}:{customer_id}-{day.isoformat()}", location_id=demo.id,
                             customer_id=customer_id, at=at(day, rng.choice([8, 9, 10, 13]))))  # fmt: skip
        step = rng.randint(2, 4)
        if slowing and day > today - timedelta(days=28):
            step = 8
        elif n % 4 == 3 and not slowing:
            step = 1
        day -= timedelta(days=step)
    return found


def _asked_the_team(
    session: Session, demo: DemoLocation, members: list[str], today: date, at: Callable[[date, int], datetime]
) -> None:
    """Members who asked the chat what neither the tools nor the FAQ answer, handed to the team (one answered each
    question on its ticket): the FAQ gap agent's work."""
    for n, ((question, answer), customer_id) in enumerate(zip(ASKED_THE_TEAM, members, strict=False), start=1):
        asked_at = at(today - timedelta(days=2 * n), 11)
        conversation_id, ticket_id = f"chat:{customer_id}", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{demo.id}-asked-{n}"))
        session.add(Conversation(id=conversation_id, location_id=demo.id, customer_id=customer_id,
                                 channel=Channel.chat, subject="Members' chat", status=ConversationStatus.escalated,
                                 started_at=asked_at, updated_at=asked_at))  # fmt: skip
        session.add(TimelineEntry(id=f"{ticket_id}-question", conversation_id=conversation_id, at=asked_at,
                                  sender=Sender.customer, channel=Channel.chat, body=question))  # fmt: skip
        handed = asked_at + timedelta(seconds=5)
        session.add(Ticket(id=ticket_id, number=ticket_number(ticket_id), location_id=demo.id,
                           requester_id=customer_id, subject="Members' chat", status=TicketStatus.open,
                           priority=Priority.normal, conversation_id=conversation_id,
                           escalation_reason=EscalationReason.outside_scope, created_at=handed,
                           updated_at=handed))  # fmt: skip
        session.flush()
        session.add(TicketComment(id=f"{ticket_id}:opened", ticket_id=ticket_id, author=Sender.operator,
                                  author_name=f"{demo.name} AI assistant", public=True, created_at=handed,
                                  body_html="<p>I've passed your question to the team; they will follow up by "
                                  "email.</p>"))  # fmt: skip
        if answer:
            session.add(TicketComment(id=f"{ticket_id}-answer", ticket_id=ticket_id, author=Sender.operator,
                                      author_name="Community team", public=True, body_html=f"<p>{answer}</p>",
                                      created_at=handed + timedelta(hours=3)))  # fmt: skip


def _help_desk_weeks(
    session: Session, demo: DemoLocation, members: list[str], today: date, at: Callable[[date, int], datetime]
) -> None:
    """Eight weeks of members' tickets the team solved, each in its category, and this week one category's many."""
    category, subjects = THIS_WEEK_TICKETS
    asked = [(name, subject, days) for name, subject, every in USUAL_TICKETS for days in range(10, 63, every)]
    asked += [(category, subject, days) for days, subject in enumerate(subjects, start=1)]
    for n, (name, subject, days) in enumerate(asked):
        ticket_id, opened = (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"{demo.id}-help-desk-{n}")),
            at(today - timedelta(days=days), 10),
        )
        session.add(Ticket(id=ticket_id, number=ticket_number(ticket_id), location_id=demo.id,
                           requester_id=members[n % len(members)], subject=subject, category=name,
                           status=TicketStatus.solved, priority=Priority.normal, created_at=opened,
                           updated_at=opened + timedelta(hours=4)))  # fmt: skip


def _mobile(demo: DemoLocation, n: int, rng: random.Random) -> str | None:
    """Most customers have a valid mobile number; some have none, a few one typed without country code."""
    if n % 10 == 3:
        return None
    if n % 17 == 0:
        return f"0{rng.randint(600000000, 699999999)}"
    return demo.mobile.format(rng.randint(2000000, 9999999) if demo.id == "atx" else rng.randint(10000000, 99999999))


def _invoice(
    demo: DemoLocation,
    customer_id: str,
    seq: int,
    lines: list[tuple[str, int, int]],  # description, quantity, unit price in cents
    issued: date,
    due: date,
    paid_at: datetime | None,
) -> list[Invoice | InvoiceLine]:
    """An invoice and its line items; the amount is their sum."""
    number = f"{demo.id.upper()}-{seq}"
    invoice_id = f"{demo.id}-inv-{seq}"
    invoice = Invoice(
        id=invoice_id,
        location_id=demo.id,
        customer_id=customer_id,
        number=number,
        amount_cents=sum(quantity * unit for _, quantity, unit in lines),
        currency=demo.currency,
        issued_on=issued,
        due_date=due,
        paid_at=paid_at,
        payment_link=f"https://portal.{demo.domain}/pay/{number}",
    )
    return [invoice, *(
        InvoiceLine(id=f"{invoice_id}-{n}", invoice_id=invoice_id, description=description, quantity=quantity,
                    unit_amount_cents=unit, amount_cents=quantity * unit)
        for n, (description, quantity, unit) in enumerate(lines, start=1)
    )]  # fmt: skip
