"""The day a customer means, from how people say it: "today", "tomorrow", "next Tuesday", "this Friday",
"on the 3rd", "3 December", "Dec 3", "2026-12-03". Always relative to the location's own today (its time zone
decides what "tomorrow" is), never a day in the past. Pure: the offline conversation engine and the tools'
callers share it.

"Next Tuesday" follows how it is mostly meant in offices: the coming Tuesday, unless today is Tuesday (then the
one a week on); "this Tuesday" is the coming one, today included.
"""

import re
from datetime import date, timedelta

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")  # fmt: skip

# Whole names; a short form only after "next", "this", "on" or "coming" ("sat" and "sun" are words too).
_WEEKDAY_FULL = "|".join(WEEKDAY_NAMES)
_WEEKDAY_SHORT = "mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun"
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr" \
         r"|jun|jul|aug|sept|sep|oct|nov|dec)\.?"  # fmt: skip
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"


def _weekday(word: str) -> int:
    return next(index for index, name in enumerate(WEEKDAY_NAMES) if name.startswith(word[:3].lower()))


def _month(word: str) -> int:
    return next(index for index, name in enumerate(MONTH_NAMES, start=1) if name.startswith(word[:3].lower()))


def _upcoming(today: date, month: int, day: int) -> date | None:
    """That day and month this year, or next year once it has passed."""
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def mentioned_day(text: str, today: date) -> date | None:
    """The first day `text` names, on or after `today`; None when it names none."""
    lowered = text.lower()
    if match := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", lowered):
        try:
            found = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
        return found if found >= today else None
    if re.search(r"\btoday\b", lowered):
        return today
    if re.search(r"\b(tomorrow|tmrw)\b", lowered):
        return today + timedelta(days=1)
    weekday = re.search(rf"\b(next|this|on|coming)?\s*\b({_WEEKDAY_FULL})\b", lowered) or re.search(
        rf"\b(next|this|on|coming)\s+({_WEEKDAY_SHORT})\b\.?", lowered
    )
    if match := weekday:
        ahead = (_weekday(match[2]) - today.weekday()) % 7
        if match[1] == "next" and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    if match := re.search(rf"\b{_ORDINAL}\s+(?:of\s+)?{_MONTH}\b", lowered):
        return _upcoming(today, _month(match[2]), int(match[1]))
    if match := re.search(rf"\b{_MONTH}\s+{_ORDINAL}\b", lowered):
        return _upcoming(today, _month(match[1]), int(match[2]))
    if match := re.search(rf"\bthe\s+{_ORDINAL}\b", lowered):
        day = int(match[1])
        month = today.month if day >= today.day else today.month % 12 + 1
        return _upcoming(today, month, day)
    return None
