"""Business hours of a location: pure and deterministic, imported pass-through by workflows (ZoneInfo
does not work inside the workflow sandbox). All math happens in the location's local time, so DST
changes, weekends, closures and holidays fall where the location's people see them."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Far enough to cross any realistic run of closures; beyond it the location is taken as never open.
SEARCH_DAYS = 400


@dataclass(frozen=True)
class OpeningHours:
    time_zone: str
    # {"mon": [["09:00", "18:00"]], ...}; a weekday that is missing or empty is closed.
    weekly: dict[str, list[list[str]]]
    # Local dates the location is closed (holidays, closures), as ISO dates.
    closures: frozenset[str] = field(default_factory=frozenset)

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening windows of a local day as aware UTC instants, earliest first."""
        if day.isoformat() in self.closures:
            return []
        zone = ZoneInfo(self.time_zone)
        result = []
        for start, end in sorted(self.weekly.get(WEEKDAYS[day.weekday()], [])):
            opens = _instant(day, time.fromisoformat(start), zone)
            closes = (
                _instant(day, time.fromisoformat(end), zone)
                if end != "24:00"
                else _instant(day + timedelta(days=1), time(0), zone)
            )
            if closes > opens:
                result.append((opens, closes))
        return result

    def local(self, at: datetime) -> datetime:
        """`at` on the location's wall clock (workflows cannot build a ZoneInfo themselves)."""
        return at.astimezone(ZoneInfo(self.time_zone))

    def is_open(self, at: datetime) -> bool:
        return self.next_opening(at) == at

    def next_opening(self, at: datetime) -> datetime | None:
        """`at` itself when open then, else the next moment the location opens (None: never)."""
        local_day = at.astimezone(ZoneInfo(self.time_zone)).date()
        for offset in range(-1, SEARCH_DAYS):  # -1: a window that opened yesterday may still run
            for opens, closes in self.windows(local_day + timedelta(days=offset)):
                if closes <= at:
                    continue
                return max(opens, at)
        return None


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant. A time skipped by a DST change moves forward
    with it (02:30 on a spring-forward night is 03:30), as a person's clock would."""
    local = datetime.combine(day, clock, zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        instant = (local + timedelta(hours=1)).astimezone(UTC)  # non-existent local time
    return instant


def local_day_start(at: datetime, time_zone: str) -> datetime:
    """The midnight that began `at`'s day on the location's clock: "today" and every daily maximum count
    from here, never from UTC's midnight."""
    zone = ZoneInfo(time_zone)
    return datetime.combine(at.astimezone(zone).date(), time(0), zone)


def local_month_start(at: datetime, time_zone: str) -> datetime:
    """The midnight that began `at`'s calendar month on the location's clock: a monthly budget counts from here."""
    zone = ZoneInfo(time_zone)
    return datetime.combine(at.astimezone(zone).date().replace(day=1), time(0), zone)


def on_clock(at: datetime, time_zone: str) -> str:
    """`at` as a person in `time_zone` reads it, the zone named: "2026-12-05 08:00 (Europe/Amsterdam)"."""
    return f"{at.astimezone(ZoneInfo(time_zone)):%Y-%m-%d %H:%M} ({time_zone})"


def quiet_until(at: datetime, window: list[str], time_zone: str) -> datetime | None:
    """When the quiet hours holding `at` end, or None when `at` is outside them. `window` is a start and an end on
    the wall clock of `time_zone` (the customer's), ["21:00", "08:00"], and may run past midnight."""
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone)
    start, end, now = time.fromisoformat(window[0]), time.fromisoformat(window[1]), local.time()
    if start <= end:
        inside, ends_on = start <= now < end, local.date()
    else:  # over midnight: the evening's part ends tomorrow morning
        inside, ends_on = now >= start or now < end, local.date() + timedelta(days=int(now >= start))
    return _instant(ends_on, end, zone) if inside else None
