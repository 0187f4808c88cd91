"""Business-hours math: examples across a weekend, a holiday and DST changes, plus properties that
hold for any time and any schedule."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.business_hours import WEEKDAYS, OpeningHours, quiet_until

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def test_open_now_means_now() -> None:
    hours = OpeningHours("Europe/Amsterdam", OFFICE)
    at = local(2026, 11, 18, 10, 30)  # a Wednesday
    assert hours.next_opening(at) == at
    assert hours.is_open(at)


def test_friday_evening_waits_for_monday_morning() -> None:
    hours = OpeningHours("Europe/Amsterdam", OFFICE)
    assert hours.next_opening(local(2026, 11, 20, 17, 0)) == local(2026, 11, 23, 9, 0)


def test_holidays_are_skipped() -> None:
    hours = OpeningHours("Europe/Amsterdam", OFFICE, frozenset({"2026-12-24", "2026-12-25"}))
    assert hours.next_opening(local(2026, 12, 23, 18, 0)) == local(2026, 12, 28, 9, 0)


def test_opening_follows_the_local_clock_across_dst() -> None:
    hours = OpeningHours("Europe/Amsterdam", OFFICE)
    # Clocks go back on Sunday 2026-10-25: 09:00 local is 07:00 UTC before it and 08:00 UTC after it.
    after_change = hours.next_opening(local(2026, 10, 23, 18, 0))
    assert after_change == local(2026, 10, 26, 9, 0)
    assert after_change.astimezone(UTC).hour == 8
    before_change = hours.next_opening(local(2026, 10, 22, 18, 0))
    assert before_change is not None
    assert before_change.astimezone(UTC).hour == 7


def test_a_window_inside_the_spring_forward_gap_opens_when_the_clock_allows() -> None:
    hours = OpeningHours("Europe/Amsterdam", {"sun": [["02:30", "05:00"]]})
    opening = hours.next_opening(local(2026, 3, 28, 12, 0))
    assert opening == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 local, the first real minute
    assert opening is not None
    assert opening.astimezone(AMS).hour == 3


def test_never_open_is_none() -> None:
    assert OpeningHours("Europe/Amsterdam", {}).next_opening(local(2026, 1, 1, 0, 0)) is None


clock = st.integers(min_value=0, max_value=23 * 60 + 59).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
window = st.tuples(clock, clock).filter(lambda w: w[0] < w[1]).map(list)
weekly = st.dictionaries(st.sampled_from(WEEKDAYS), st.lists(window, min_size=1, max_size=2), min_size=1)
zones = st.sampled_from(["Europe/Amsterdam", "America/Chicago", "Asia/Kolkata", "Australia/Sydney", "UTC"])
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
closures = st.sets(st.dates(min_value=datetime(2025, 1, 1).date(), max_value=datetime(2029, 3, 1).date()), max_size=30)


@settings(max_examples=300, deadline=None)
@given(zones, weekly, closures, instants)
def test_the_next_opening_is_never_early_always_open_and_never_on_a_closure(
    zone: str, week: dict[str, list[list[str]]], closed: set, at: datetime
) -> None:
    hours = OpeningHours(zone, week, frozenset(day.isoformat() for day in closed))
    opening = hours.next_opening(at)
    assert opening is not None  # every schedule here opens at least one day a week
    assert opening >= at
    local_day = opening.astimezone(ZoneInfo(zone)).date()
    candidates = [local_day - timedelta(days=1), local_day]
    inside = [
        (day, opens, closes) for day in candidates for opens, closes in hours.windows(day) if opens <= opening < closes
    ]
    assert inside, f"{opening} is outside every opening window"
    assert all(day.isoformat() not in hours.closures for day, _, _ in inside)
    # Nothing earlier was open: the moment just before is closed unless it is `at` itself.
    if opening > at:
        assert not hours.is_open(opening - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("local", "until"),
    [
        (datetime(2026, 12, 4, 22, 30), datetime(2026, 12, 5, 8, 0)),  # the evening: until tomorrow morning
        (datetime(2026, 12, 5, 6, 59), datetime(2026, 12, 5, 8, 0)),  # past midnight: until this morning
        (datetime(2026, 12, 5, 8, 0), None),  # the end is outside
        (datetime(2026, 12, 5, 20, 59), None),
        (datetime(2026, 3, 28, 23, 0), datetime(2026, 3, 29, 8, 0)),  # over the night the clocks go forward
    ],
)
def test_quiet_hours_run_over_midnight_on_the_customers_clock(local: datetime, until: datetime | None) -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    ends = quiet_until(local.replace(tzinfo=zone), ["21:00", "08:00"], "Europe/Amsterdam")
    assert ends == (until.replace(tzinfo=zone) if until else None)
    # A window within one day holds only inside it.
    assert quiet_until(datetime(2026, 12, 5, 12, 30, tzinfo=zone), ["12:00", "14:00"], "Europe/Amsterdam") == (
        datetime(2026, 12, 5, 14, 0, tzinfo=zone)
    )
