"""Tools on the space itself: what is free and when, booking it, day passes, prices, the location, the FAQ.

Times are the location's wall clock, checked against its opening hours and closures. A booking takes a write
lock on the resource (a day pass on the location) before it looks for clashes, so two conversations racing for
the last desk get one booking between them, on SQLite and PostgreSQL alike.
"""

import datetime as dt
import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from activities.tools.context import Arguments, LimitReached, ToolContext, ToolRefused
from conversation.understanding import answering, search_words
from domain.business_hours import WEEKDAYS, local_day_start
from models.tables import (
    Booking,
    Conversation,
    Customer,
    FaqArticle,
    Invoice,
    InvoiceLine,
    Location,
    Plan,
    Resource,
)

Kind = Literal["desk", "meeting_room", "office"]
_KIND_WORDS = {"desk": "desk", "meeting_room": "meeting room", "office": "office"}


class NoArguments(Arguments):
    pass


class LocationArgs(Arguments):
    location: str | None = Field(
        default=None, max_length=100, description="Another location's name or city; without it, the customer's own"
    )


class AvailabilityArgs(LocationArgs):
    kind: Kind
    date: dt.date = Field(description="The local date, YYYY-MM-DD")
    start: dt.time | None = Field(default=None, description="Local time HH:MM; default: opening time")
    end: dt.time | None = Field(default=None, description="Local time HH:MM; default: closing time")
    seats: int = Field(default=1, ge=1, le=100)


class BookingArgs(Arguments):
    resource_id: str
    date: dt.date
    start: dt.time
    end: dt.time


class DayPassArgs(Arguments):
    date: dt.date


class FaqArgs(Arguments):
    query: str = Field(min_length=2, max_length=300)


def _window(context: ToolContext, day: date, start: time | None, end: time | None) -> tuple[datetime, datetime]:
    """The asked-for local times as UTC instants, inside one of the day's opening windows, not in the past."""
    windows = context.hours.windows(day)
    zone = context.hours.local(context.now).tzinfo
    if not windows:
        # The next opening after the day asked for: on a Friday morning "closed tomorrow; next open today" helps no one.
        opening = context.hours.next_opening(max(context.now, datetime.combine(day + timedelta(days=1), time(0), zone)))
        after = f"; it is next open {context.hours.local(opening):%A %d %B %Y at %H:%M}" if opening else ""
        raise ToolRefused(f"{context.location.name} is closed on {day:%A %d %B %Y}{after}.")
    opens, closes = next(((a, b) for a, b in windows if b > context.now), windows[0])  # without times: what is left
    # Without a start, from now on a day already begun (to the next quarter hour): "what's free today?"
    begins = datetime.combine(day, start, zone) if start else max(opens, _next_quarter(context.now))
    ends = datetime.combine(day, end, zone) if end else closes
    if ends <= begins:
        raise ToolRefused("The end time must be after the start time.")
    if not any(open_ <= begins and ends <= close for open_, close in windows):
        raise ToolRefused(f"That is outside the opening hours on {day:%A}: {_hours_text(windows, context)}.")
    if begins < context.now:
        raise ToolRefused(f"{begins.astimezone(zone):%A %d %B %Y at %H:%M} is in the past; choose a later time.")
    return begins, ends


def _next_quarter(moment: datetime) -> datetime:
    later = moment + timedelta(minutes=15 - moment.minute % 15)
    return later.replace(second=0, microsecond=0)


def _hours_text(windows: list[tuple[datetime, datetime]], context: ToolContext) -> str:
    return ", ".join(f"{context.hours.local(a):%H:%M}-{context.hours.local(b):%H:%M}" for a, b in windows)


def _free(context: ToolContext, kind: str, begins: datetime, ends: datetime, seats: int = 1) -> list[Resource]:
    taken = select(Booking.resource_id).where(col(Booking.starts_at) < ends, col(Booking.ends_at) > begins)
    return list(context.session.exec(
        select(Resource).where(col(Resource.location_id) == context.location.id, col(Resource.kind) == kind,
                               col(Resource.capacity) >= seats, col(Resource.id).not_in(taken))
        .order_by(col(Resource.id))).all())  # fmt: skip


def _resource(context: ToolContext, resource: Resource) -> dict[str, Any]:
    kind = _KIND_WORDS.get(resource.kind, resource.kind)
    described: dict[str, Any] = {"resource_id": resource.id, "name": resource.name, "kind": kind,
                                 "seats": resource.capacity}  # fmt: skip
    if resource.hourly_rate_cents:
        described["hourly_rate"] = context.money(resource.hourly_rate_cents)
    if resource.monthly_price_cents:
        described["monthly_price"] = context.money(resource.monthly_price_cents)
    if resource.description:
        described["description"] = resource.description
    return described


def _locations(context: ToolContext) -> list[Location]:
    return list(context.session.exec(select(Location).order_by(col(Location.name))))


def _named(locations: list[Location], asked: str) -> Location:
    """Another of our locations by name, city or address."""
    wanted = asked.strip().lower()
    found = [place for place in locations if wanted in (place.id, *place.name.lower().split()) or
             wanted in place.name.lower() or wanted in place.address.lower()]  # fmt: skip
    if not found:
        names = ", ".join(place.name for place in locations)
        raise ToolRefused(f"There is no location called {asked!r}; the locations are {names}.")
    return found[0]


def _at(context: ToolContext, asked: str | None) -> ToolContext:
    """The context at the location asked for: the customer's own, or another of ours."""
    return replace(context, location=_named(_locations(context), asked)) if asked else context


def _elsewhere(context: ToolContext, here: ToolContext, found: dict[str, Any]) -> dict[str, Any]:
    """What a tool found at another of our locations, said to be theirs: the AI books and sells at the customer's
    own location only, so another's places are for its team or its portal to book (and offer no booking)."""
    if here.location.id == context.location.id:
        return found
    return {**found, "book_there": here.location.portal_url}


def check_availability(context: ToolContext, args: AvailabilityArgs) -> dict[str, Any]:
    here = _at(context, args.location)
    begins, ends = _window(here, args.date, args.start, args.end)
    free = _free(here, args.kind, begins, ends, args.seats)
    return _elsewhere(context, here, {
        "location": here.location.name, "date": args.date.isoformat(), "from": f"{here.hours.local(begins):%H:%M}",
        "until": f"{here.hours.local(ends):%H:%M}", "time_zone": here.location.time_zone,
        "available": [_resource(here, resource) for resource in free]})  # fmt: skip


def _earlier(context: ToolContext) -> Booking | None:
    return context.session.exec(select(Booking).where(col(Booking.request_key) == context.request_key)).first()


def _lock(context: ToolContext, statement: Any) -> None:
    """Write before reading: the write lock (a row lock on PostgreSQL, the database's on SQLite) is held until
    the booking is committed, so a racing request sees it."""
    context.session.execute(statement)


def _within_caps(context: ToolContext) -> None:
    """Before the AI makes a new booking or day pass: it has not made as many as it may, in this conversation
    since it opened and for this customer today. The customer is locked first, so two tool uses racing each other
    count each other; a retried use never gets here (it finds its booking first), so it never counts twice."""
    _lock(context, update(Customer).where(col(Customer.id) == context.customer.id).values(name=Customer.name))
    caps, session = context.caps, context.session

    def made(*since: Any) -> int:
        by_the_ai = (
            select(func.count())
            .select_from(Booking)
            .where(col(Booking.customer_id) == context.customer.id, col(Booking.request_key).is_not(None), *since)
        )
        return session.exec(by_the_ai).one()

    conversation = session.get(Conversation, context.conversation_id) if context.conversation_id else None
    if conversation is not None:
        opened = conversation.opened_at or conversation.started_at
        here = made(col(Booking.conversation_id) == conversation.id, col(Booking.created_at) >= opened)
        if here >= caps.per_conversation:
            raise LimitReached(
                f"The AI may make at most {caps.per_conversation} bookings and day passes in one conversation and "
                f"has made {here} in this one: nothing was booked, and the team takes the request from here."
            )
    today = made(col(Booking.created_at) >= local_day_start(context.now, context.location.time_zone))
    if today >= caps.per_customer_day:
        raise LimitReached(
            f"The AI may make at most {caps.per_customer_day} bookings and day passes for a customer in a day and "
            f"has made {today} for {context.customer.name} today: nothing was booked, and the team takes the "
            "request from here."
        )


def _confirmation(context: ToolContext, booking: Booking, resource: Resource) -> dict[str, Any]:
    location = context.location
    return {"booking_id": booking.id, "resource": _resource(context, resource),
            "date": f"{context.hours.local(booking.starts_at):%Y-%m-%d}",
            "from": f"{context.hours.local(booking.starts_at):%H:%M}",
            "until": f"{context.hours.local(booking.ends_at):%H:%M}", "location": location.name,
            "address": location.address, "wifi_network": location.wifi_network,
            "wifi_password": location.wifi_password,
            "booking_link": context.portal_link("book", booking.id, booking.created_at)}  # fmt: skip


def _add_once(context: ToolContext, *rows: Any) -> Booking | None:
    """Add the rows, or find that a concurrent attempt with the same key already did (then answer its booking)."""
    try:
        context.session.add_all(rows)
        context.session.flush()
    except IntegrityError:
        context.session.rollback()
        return _earlier(context)
    return None


def book_resource(context: ToolContext, args: BookingArgs) -> dict[str, Any]:
    resource = context.session.get(Resource, args.resource_id)
    if resource is None or resource.location_id != context.location.id:
        raise ToolRefused(f"There is no resource {args.resource_id!r} at {context.location.name}.")
    if (earlier := _earlier(context)) is not None:
        return _confirmation(context, earlier, resource)
    _within_caps(context)
    begins, ends = _window(context, args.date, args.start, args.end)
    _lock(context, update(Resource).where(col(Resource.id) == resource.id).values(name=Resource.name))
    if resource not in _free(context, resource.kind, begins, ends):
        others = [free.name for free in _free(context, resource.kind, begins, ends)]
        alternatives = f" Free then: {', '.join(others)}." if others else " Nothing of that kind is free then."
        raise ToolRefused(f"{resource.name} is already taken then.{alternatives}")
    booking = Booking(id=str(uuid.uuid5(uuid.NAMESPACE_URL, context.request_key)), customer_id=context.customer.id,
                      resource_id=resource.id, starts_at=begins, ends_at=ends, request_key=context.request_key,
                      created_at=context.now, conversation_id=context.conversation_id)  # fmt: skip
    raced = _add_once(context, booking)
    return _confirmation(context, raced or booking, resource)


def buy_day_pass(context: ToolContext, args: DayPassArgs) -> dict[str, Any]:
    if (earlier := _earlier(context)) is not None:
        desk = context.session.get(Resource, earlier.resource_id)
        assert desk is not None, "a booking's resource exists"
        return _day_pass(context, earlier, desk)
    if not context.location.day_pass_price_cents:
        raise ToolRefused(f"{context.location.name} does not sell day passes.")
    _within_caps(context)
    begins, ends = _window(context, args.date, None, None)
    begins = max(begins, context.now)
    _lock(context, update(Location).where(col(Location.id) == context.location.id).values(name=Location.name))
    free = _free(context, "desk", begins, ends)
    if not free:
        raise ToolRefused(f"Every desk is taken on {args.date:%A %d %B}; try another day.")
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, context.request_key))
    booking = Booking(id=key, customer_id=context.customer.id, resource_id=free[0].id, starts_at=begins, ends_at=ends,
                      kind="day_pass", request_key=context.request_key, created_at=context.now,
                      conversation_id=context.conversation_id)  # fmt: skip
    number = f"{context.location.id.upper()}-DP-{key[:8].upper()}"
    price = context.location.day_pass_price_cents
    invoice = Invoice(id=f"day-pass-{key}", location_id=context.location.id, customer_id=context.customer.id,
                      number=number, amount_cents=price, currency=context.location.currency,
                      issued_on=context.hours.local(context.now).date(), due_date=args.date, paid_at=None,
                      payment_link=context.portal_link("pay_invoice", number))  # fmt: skip
    line = InvoiceLine(id=f"day-pass-{key}-1", invoice_id=invoice.id, description=f"Day pass, {args.date:%d %B %Y}",
                       unit_amount_cents=price, amount_cents=price)  # fmt: skip
    raced = _add_once(context, booking, invoice, line)
    return _day_pass(context, raced or booking, free[0])


def _day_pass(context: ToolContext, booking: Booking, desk: Resource) -> dict[str, Any]:
    invoice = context.session.get(Invoice, f"day-pass-{booking.id}")
    assert invoice is not None, "a day pass is sold with its invoice"
    return {**_confirmation(context, booking, desk), "price": context.money(invoice.amount_cents),
            "invoice_number": invoice.number, "payment_link": invoice.payment_link}  # fmt: skip


def plans_and_prices(context: ToolContext, args: LocationArgs) -> dict[str, Any]:
    here = _at(context, args.location)
    location = here.location
    plans = here.session.exec(select(Plan).where(col(Plan.location_id) == location.id)
                              .order_by(col(Plan.monthly_price_cents))).all()  # fmt: skip
    resources = here.session.exec(select(Resource).where(col(Resource.location_id) == location.id)
                                  .order_by(col(Resource.id))).all()  # fmt: skip
    return _elsewhere(
        context,
        here,
        {
            "location": location.name,
            "currency": location.currency,
            "plans": [{"name": plan.name, "monthly_price": here.money(plan.monthly_price_cents)} for plan in plans],
            "private_offices": [_resource(here, r) for r in resources if r.kind == "office"],
            "meeting_rooms": [_resource(here, r) for r in resources if r.kind == "meeting_room"],
            "day_pass": here.money(location.day_pass_price_cents) if location.day_pass_price_cents else None,
        },
    )


def location_details(context: ToolContext, args: LocationArgs) -> dict[str, Any]:
    """A location's address, hours and closures (the customer's own, or another by name or city), what members
    need on arrival, and the other locations."""
    locations = _locations(context)
    location = _named(locations, args.location) if args.location else context.location
    weekly = {day: ", ".join(f"{start}-{end}" for start, end in location.business_hours.get(day, [])) or "closed"
              for day in WEEKDAYS}  # fmt: skip
    details: dict[str, Any] = {
        "name": location.name, "address": location.address, "time_zone": location.time_zone,
        "opening_hours": weekly, "closed_on": sorted(location.closures), "portal": location.portal_url,
        "other_locations": [{"name": place.name, "address": place.address}
                            for place in locations if place.id != location.id],
    }  # fmt: skip
    if context.customer.kind == "member" and location.wifi_network:  # what members need on arrival
        details |= {"wifi_network": location.wifi_network, "wifi_password": location.wifi_password}
    return details


def search_faq(context: ToolContext, args: FaqArgs) -> dict[str, Any]:
    """The FAQ articles that answer the query, best first: the database's own full-text search (FTS5 on SQLite, a
    `tsvector` index on PostgreSQL: both kept by migration 0010) beside a ranking by meaning over the location's
    articles ("can I bring a visitor?" finds the one about guests, in any of the six languages it knows)."""
    session, location = context.session, context.location.id
    words = search_words(args.query)
    by_words = _faq_by_words(context, words) if words else []
    articles = session.exec(select(FaqArticle).where(col(FaqArticle.location_id) == location)).all()
    scores = answering(args.query, [(article.question, article.answer) for article in articles])
    ranked = sorted(((score, article.question, article.answer)
                     for score, article in zip(scores, articles, strict=True)), reverse=True)  # fmt: skip
    by_meaning = [(question, answer) for score, question, answer in ranked[:3] if score]
    merged = list(dict.fromkeys([*by_meaning, *by_words]))[:3]
    return {"results": [{"question": question, "answer": answer} for question, answer in merged]}


def _faq_by_words(context: ToolContext, words: list[str]) -> list[tuple[str, str]]:
    session, location = context.session, context.location.id
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text(
            "SELECT question, answer FROM faqarticle WHERE location_id = :location AND "
            "to_tsvector('english', question || ' ' || answer) @@ to_tsquery('english', :query) "
            "ORDER BY ts_rank(to_tsvector('english', question || ' ' || answer), to_tsquery('english', :query)) "
            "DESC LIMIT 3"), {"location": location, "query": " | ".join(words)}).all()  # fmt: skip
    else:
        rows = session.execute(text(
            "SELECT faqarticle.question, faqarticle.answer FROM faq_search JOIN faqarticle "
            "ON faqarticle.rowid = faq_search.rowid WHERE faq_search MATCH :query AND faqarticle.location_id = "
            ":location ORDER BY bm25(faq_search) LIMIT 3"),
            {"location": location, "query": " OR ".join(f'"{word}"' for word in words)}).all()  # fmt: skip
    return [(question, answer) for question, answer in rows]
