"""The facts guard: every amount, date, reference number and link a text states must come from its facts. Whoever
wrote the text (the model, the offline engine), a draft or an answer that states anything else is rejected."""

import calendar
import re
from datetime import date

URL = re.compile(r"https?://[^\s\"'<>)]+")
MONEY = re.compile(r"[€$£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:EUR|USD|GBP|euros?|dollars?)\b", re.I)
REFERENCE = re.compile(r"\b[A-Z]{2,}-\d{2,}\b")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTHS = [name.lower() for name in calendar.month_name[1:]]
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
WRITTEN_DATE = re.compile(
    rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?",
    re.I,
)


def _digits(amount: str) -> str:
    return re.sub(r"[^\d.]", "", amount.replace(",", "")).rstrip("0").rstrip(".")


def _day(year: int, month: int, day: int) -> date | None:
    """The date, or None for one that is no date ("2026-13-01", "31 February")."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _fact_dates(facts: dict[str, str | int]) -> set[date]:
    """The dates the facts state: ISO dates, and written ones that name their year (a tool's refusal says
    "closed on Saturday 06 June 2026")."""
    found = set()
    for value in facts.values():
        for match in ISO_DATE.finditer(str(value)):
            if day := _day(int(match[1]), int(match[2]), int(match[3])):
                found.add(day)
        for match in WRITTEN_DATE.finditer(str(value)):
            if (match[3] or match[6]) and (day := _written(match)):
                found.add(day)
    return found


def _written(match: re.Match[str]) -> date | None:
    """A WRITTEN_DATE match as a date (the year 1 when it names none); None when it is no date."""
    month_name = (match[1] or match[5]).lower()[:3]
    month = next(i for i, name in enumerate(MONTHS, start=1) if name.startswith(month_name))
    return _day(int(match[3] or match[6] or 1), month, int(match[2] or match[4]))


def invented_facts(text: str, facts: dict[str, str | int]) -> list[str]:
    """Every amount, date, reference number and link in `text` that the facts do not contain."""
    values = [str(value) for value in facts.values()]
    invented: list[str] = []
    for url in URL.findall(text):
        if url.rstrip(".,;:!?") not in values:
            invented.append(url)
    amounts = {_digits(value) for value in values if MONEY.fullmatch(value.strip())}
    for amount in MONEY.findall(text):
        if _digits(amount) not in amounts:
            invented.append(amount.strip())
    for reference in REFERENCE.findall(text):
        if not any(reference in value for value in values):
            invented.append(reference)
    dates = _fact_dates(facts)
    for match in ISO_DATE.finditer(text):
        if _day(int(match[1]), int(match[2]), int(match[3])) not in dates:
            invented.append(match[0])
    for match in WRITTEN_DATE.finditer(text):
        written, year = _written(match), match[3] or match[6]
        if written is None:
            invented.append(match[0])
            continue
        same_day = [d for d in dates if (d.month, d.day) == (written.month, written.day)]
        if not any(not year or d.year == written.year for d in same_day):
            invented.append(match[0])
    return invented
