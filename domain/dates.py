"""The day a customer means, from how people say it in the six languages the engine reads: "today", "this
afternoon", "tomorrow", "overmorgen", "next Tuesday", "mercredi prochain", "am Freitag", "on the 3rd", "le 14",
"3 December", "5 de diciembre", "Dec 3", "2026-12-03", a month from its first day ("from February", "next
month") and the coming week from its Monday ("next week"). Always relative to the location's own today (its time
zone decides what "tomorrow" is), never a day in the past. Pure: the offline conversation engine and the tools'
callers share it.

"Next Tuesday" follows how it is mostly meant in offices: the coming Tuesday, unless today is Tuesday (then the
one a week on); "this Tuesday" is the coming one, today included.
"""

import re
from datetime import date, timedelta

# Each weekday's and month's names, Monday and January first: English, Dutch, German, French, Spanish, Portuguese,
# the spellings without accents people type, and the short names that are no other word ("tues", "thurs").
WEEKDAYS = (
    ("monday", "maandag", "montag", "lundi", "lunes", "segunda-feira"),
    ("tuesday", "dinsdag", "dienstag", "mardi", "martes", "terça-feira", "terca-feira", "tues"),
    ("wednesday", "woensdag", "mittwoch", "mercredi", "miércoles", "miercoles", "quarta-feira"),
    ("thursday", "donderdag", "donnerstag", "jeudi", "jueves", "quinta-feira", "thurs"),
    ("friday", "vrijdag", "freitag", "vendredi", "viernes", "sexta-feira"),
    ("saturday", "zaterdag", "samstag", "samedi", "sábado", "sabado"),
    ("sunday", "zondag", "sonntag", "dimanche"),
)
# Short names, and names that are other words too ("sat", "sun"; Portuguese "segunda" is also "second", and Domingo
# a name): a day only after a word that points to one ("next", "on", "na", …).
WEEKDAYS_SHORT = (("mon", "segunda"), ("tue", "terça", "terca"), ("wed", "quarta"),
                  ("thu", "thur", "quinta"), ("fri", "sexta"), ("sat",), ("sun", "domingo"))  # fmt: skip
MONTHS = (
    ("january", "jan", "januari", "januar", "janvier", "enero", "janeiro"),
    ("february", "feb", "februari", "februar", "février", "fevrier", "febrero", "fevereiro"),
    ("march", "mar", "maart", "märz", "maerz", "mars", "marzo", "março", "marco"),
    ("april", "apr", "avril", "abril"),
    ("may", "mei", "mai", "mayo", "maio"),
    ("june", "jun", "juni", "juin", "junio", "junho"),
    ("july", "jul", "juli", "juillet", "julio", "julho"),
    ("august", "aug", "augustus", "août", "aout", "agosto"),
    ("september", "sep", "sept", "septembre", "septiembre", "setembro"),
    ("october", "oct", "oktober", "octobre", "octubre", "outubro"),
    ("november", "nov", "novembre", "noviembre", "novembro"),
    ("december", "dec", "dezember", "décembre", "decembre", "diciembre", "dezembro"),
)
_WEEKDAY = {name: index for index, names in enumerate(WEEKDAYS) for name in names}
_WEEKDAY_SHORT = {name: index for index, names in enumerate(WEEKDAYS_SHORT) for name in names}
_DAY_OF = {**_WEEKDAY_SHORT, **_WEEKDAY}
_MONTH_OF = {name: index for index, names in enumerate(MONTHS, start=1) for name in names}


def _alternatives(names: dict[str, int]) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))  # the longest name first


# The words before a day that mean the one after the coming one when today is that day; the French and Spanish
# say it after the day ("mercredi prochain", "el lunes que viene").
_NEXT = "next|volgende|nächsten|nächste|naechste|próximo|proximo|próxima|proxima"
_NEXT_AFTER = r"\s+(?:prochain|prochaine|que viene)\b"
_POINTS_TO_DAY = (
    rf"{_NEXT}|this|on|coming|deze|aanstaande|komende|op|am|diesen|kommenden|ce|le|el|este|na|no|nesta|neste|esta|"
    r"pra|para|pra a|para a"
)
# Today, or a part of it: "this afternoon", "right now", "in 20 min", "vanmiddag", "cet après-midi", "esta tarde".
_TODAY = re.compile(
    r"\b(today|tonight|this (?:morning|afternoon|evening)|right now|now"
    r"|(?:in|over|binnen|dans|en|em|daqui a) (?:like |about |~)?\d+ ?(?:min\w*|uur|stunden?|heures?|horas?|hours?)"
    r"|vandaag|vanochtend|vanmorgen|vanmiddag|vanavond|nu|heute|jetzt|aujourd['\u2019]hui|maintenant|ce matin"
    r"|cet apr[èe]s-midi|ce soir|hoy|ahora|esta tarde|esta noche|hoje|agora)\b"
)
_DAY_AFTER_TOMORROW = re.compile(r"\b(day after tomorrow|overmorgen|übermorgen|uebermorgen|apr[èe]s-demain"
                                 r"|pasado ma[ñn]ana|depois de amanh[ãa])\b")  # fmt: skip
# "Morgen" and "mañana" are also mornings ("heute Morgen", "por la mañana").
_TOMORROW = re.compile(r"(?<!heute )(?<!am )(?<!guten )(?<!la )(?<!esta )\b(tomorrow|tmrw"
                       r"|morgen(?:ochtend|middag|avond)?|demain|mañana|manana|amanhã|amanha)\b")  # fmt: skip
# The words of "every" before a day.
_EVERY = r"every|each|elke|iedere|jeden|jede|chaque|tous les|cada|todos los|todas las|toda|todas as|todos os"
# A name may be plural ("Tuesdays", "tous les mardis").
_DAY_NAMED = re.compile(rf"\b(?:({_POINTS_TO_DAY})\s+)?({_alternatives(_WEEKDAY)})s?\b")
# Portugal's and Brazil's short names are ordinals too: "pra quarta" is a day, "para a segunda vez" is not.
_DAY_SHORT = re.compile(
    rf"\b({_POINTS_TO_DAY}|{_EVERY})\s+({_alternatives(_WEEKDAY_SHORT)})s?\b\.?"
    r"(?!\s+(?:pessoas?|vez|vezes|op[çc][ãa]o|via|parte|fase)\b)"
)
# A short name before a time or a part of the day is a day too: "fri around 11", "quinta de manhã", "quarta às 9h30",
# "sat morning" (not "segunda pessoa", "for SAT prep").
_PART_OF_DAY = (r"morning|afternoon|evening|night|am|pm|ochtend|middag|avond|vormittag|nachmittag|abend|matin|"
                r"apr[èe]s-midi|soir|mañana|tarde|noche|manhã|manha|noite")  # fmt: skip
_DAY_BEFORE_TIME = re.compile(
    rf"\b()({_alternatives(_WEEKDAY_SHORT)})\.?\s+(?:(?:around|at|about|from|between|after|before|om|um|vers|à|a las|"
    r"às|as|das|des|de|van|vanaf|von|ab|desde|depuis|entre)"
    r"\s+\d{1,2}(?!\d)(?!\s*(?:people|persons?|pessoas|personas|personnes|personen|mensen|leute|pax)\b)"
    r"|\d{1,2}(?:[:.h]\d{2}|\s*(?:am|pm|h|uhr|uur)\b)"
    rf"|(?:(?:de|da|à|a|in the|in de|'s|am|em|na|por la|en la|dans la)\s+)?(?:{_PART_OF_DAY})\b"
    r"|\d{1,2}\s*(?:-|\u2013|to|tot|bis|à|a|até|ate)\s*\d{1,2}\b)"
)
# A short name that is no other word is a day wherever it stands ("book desk 4 fri", "wed can I come?") — "wed" not
# where it is "we'd" typed without its apostrophe ("wed like a room").
_DAY_ABBREVIATED = re.compile(
    r"\b()(tue|thu|thur|fri|wed(?!\s+(?:like|love|need|want|be|have|rather|prefer|probably|only|also|never)\b))\b\.?"
)
# Where a day is named, the surest way first.
_DAYS = (_DAY_NAMED, _DAY_SHORT, _DAY_BEFORE_TIME, _DAY_ABBREVIATED)
_MONTH = rf"({_alternatives(_MONTH_OF)})\.?"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th|er|e|º|ª|\.)?"
# A month on its own, from its first day: "from February", "a partir de enero", "ab Januar", "début mars", "from July"
# (names of four letters or more: "may", "mar" and "mai" are other words too).
_FROM_MONTH = re.compile(
    r"\b(?:from|starting|start of|beginning of|early|in|vanaf|per|begin|ab|anfang|im|à partir de|a partir de|dès"
    r"|début|en|desde|em|no início de|a partir do)\s+(?:de\s+)?"
    rf"({_alternatives({name: n for name, n in _MONTH_OF.items() if len(name) > 3})})\b(?!\s*\d)"
)
_NEXT_MONTH = re.compile(r"\b(next month|volgende maand|nächsten monat|naechsten monat|le mois prochain"
                         r"|el (?:mes que viene|próximo mes|proximo mes)|(?:o |no )?(?:próximo|proximo) mês"
                         r"|mês que vem)\b")  # fmt: skip
# The coming week, from its Monday: "next week", "ab nächster Woche", "la semaine prochaine", "semana que vem".
_NEXT_WEEK = re.compile(
    r"\b(next week|volgende week|n(?:ä|ae)chster? woche|semaine prochaine|pr[óo]xima semana|semana que viene"
    r"|semana que vem)\b"
)
# A day of the month on its own, after the word for "the" or "on the": "the 14th", "le 14", "el 14", "am 14.".
_THE_DAY = re.compile(rf"\b(?:the|le|el|am|den|op de|dia|o dia|no dia)\s+{_ORDINAL}(?![\w:])")


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


# A day every week: "every Tuesday", "elke dinsdag", "jeden Dienstag", "tous les mardis", "cada martes", "todas as
# terças", or "weekly" in so many words.
_WEEKLY = re.compile(
    rf"\b(?:{_EVERY})\s+(?:{_alternatives(_WEEKDAY)}|{_alternatives(_WEEKDAY_SHORT)}|week|semaine|semana|woche)s?\b"
    r"|\b(weekly|wekelijks|wöchentlich|hebdomadaire|semanal|semanalmente)\b"
)


def weekly(text: str) -> bool:
    """Whether `text` asks for the same day every week."""
    return bool(_WEEKLY.search(text.lower()))


# An hour said in words, in each language, one to twelve (a word of several languages is the same hour in each).
_HOURS_SAID = (
    ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    ("een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf", "twaalf"),
    ("eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"),
    ("une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze"),
    ("una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce"),
    ("uma", "duas", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez", "onze", "doze"),
)
_HOUR_WORDS = {word: hour for words in _HOURS_SAID for hour, word in enumerate(words, 1)}
_SAID_HOUR = rf"(\d{{1,2}}|{'|'.join(_HOUR_WORDS)})"
# "half elf" is 10:30 in Dutch and German, "half eleven" 11:30 in English: the half hour before the next one is
# read in the two languages that say it so.
_HALF_HOUR = rf"(\d{{1,2}}|{'|'.join(_HOURS_SAID[1] + _HOURS_SAID[2])})"
_ROMANCE_HOUR = rf"{_SAID_HOUR}(?:\s?h|\s+heures?|\s+horas?)?\s+"
# A quarter or a half hour said in words, as each language says it, with its minutes and whether it is said of the
# next hour: "quarter past 3", "kwart over twee", "viertel nach drei", "half elf", "trois heures et quart", "las
# cuatro y cuarto", "às três e meia".
_SAID_TIMES = (
    (re.compile(rf"\b(?:quarter past|quarter after|kwart over|viertel nach)\s+{_SAID_HOUR}\b"), 15, 0),
    (re.compile(rf"\b(?:half past|half after)\s+{_SAID_HOUR}\b"), 30, 0),
    (re.compile(rf"\b(?:quarter to|quarter of|kwart voor|viertel vor|dreiviertel)\s+{_SAID_HOUR}\b"), 45, 1),
    (re.compile(rf"\b(?:half|halb)\s+{_HALF_HOUR}\b(?!\s*(?:hour|uur|stunde|jaar|jahr))"), 30, 1),
    (re.compile(rf"\b{_ROMANCE_HOUR}(?:et quart|y cuarto|e um quarto|e quinze)\b"), 15, 0),
    (re.compile(rf"\b{_ROMANCE_HOUR}(?:et demie|y media|e meia)\b"), 30, 0),
    (re.compile(rf"\b{_ROMANCE_HOUR}(?:moins (?:le )?quart|menos cuarto|menos (?:um )?quarto|menos quinze)\b"), 45, 1),
)
# When in a day or a week, named without a date: an hour after, before or until which ("after 6", "nach 18 Uhr",
# "depois das 19h"), a part of the day said of any day ("in the evenings", "abends", "'s avonds"), the weekend.
_WHEN = re.compile(
    r"\b(?:after|before|until|till|past|at|na|voor|tot|om|nach|vor|bis|um|après|avant|jusqu'à|vers|à|después de|"
    r"antes de|hasta|a las|depois d[ao]s?|antes d[ao]s?|até [àa]s|às)\s+\d{1,2}(?!\d)"
    rf"|\b(?:{_PART_OF_DAY}|tonight|vanavond|abends|soirs|soirées?|noches|noites|weekends?|week-ends?|"
    r"wochenende\w*|fin(?:es)? de semana|fim de semana)\b"
    # a time on the clock however written: "10:20", "14h30", "7am" (and in words, `said_time`)
    r"|\b\d{1,2}(?::\d{2}|h\d{2}|h\b|\s?(?:am|pm|uur|uhr)\b)"
)


def said_time(text: str) -> tuple[int, int] | None:
    """The hour and minutes of a quarter or a half hour `text` says in words ("kwart over twee": 2, 15; "half elf":
    10, 30), the hour as said (1 to 12, or the 24 hours' when written so), or None."""
    lowered = text.lower()
    for said, minutes, of_the_next in _SAID_TIMES:
        if found := said.search(lowered):
            hour = (int(found[1]) if found[1].isdigit() else _HOUR_WORDS[found[1]]) - of_the_next
            return (hour or 12, minutes) if 0 <= hour <= 23 else None
    return None


def names_a_time(text: str) -> bool:
    """Whether `text` names a day, or a time of the day or the week ("after 6", "abends", "le samedi", "tmrw")."""
    lowered = text.lower()
    return (
        _WHEN.search(lowered) is not None
        or said_time(lowered) is not None
        or any(found.search(lowered) for found in (_TODAY, _TOMORROW, *_DAYS))
    )


def mentioned_day(text: str, today: date) -> date | None:
    """The first day `text` names, on or after `today`; None when it names none."""
    lowered = text.lower()
    if match := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", lowered):
        try:
            found = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
        return found if found >= today else None
    if _DAY_AFTER_TOMORROW.search(lowered):
        return today + timedelta(days=2)
    if _TODAY.search(lowered):
        return today
    if _TOMORROW.search(lowered):
        return today + timedelta(days=1)
    if match := next(filter(None, (found.search(lowered) for found in _DAYS)), None):
        ahead = (_DAY_OF[match[2]] - today.weekday()) % 7
        after = re.match(_NEXT_AFTER, lowered[match.end() :])
        if ahead == 0 and (after or (match[1] and re.fullmatch(_NEXT, match[1]))):
            ahead = 7
        return today + timedelta(days=ahead)
    if match := re.search(rf"\b{_ORDINAL}\s+(?:of\s+|de\s+)?{_MONTH}(?!\w)", lowered):
        return _upcoming(today, _MONTH_OF[match[2]], int(match[1]))
    if match := re.search(rf"\b{_MONTH}\s+{_ORDINAL}(?!\w)", lowered):
        return _upcoming(today, _MONTH_OF[match[1]], int(match[2]))
    if match := _THE_DAY.search(lowered):
        day = int(match[1])
        month = today.month if day >= today.day else today.month % 12 + 1
        return _upcoming(today, month, day)
    if match := _FROM_MONTH.search(lowered):
        month = _MONTH_OF[match[1]]
        return today if month == today.month else _upcoming(today, month, 1)
    if _NEXT_MONTH.search(lowered):
        return _upcoming(today, today.month % 12 + 1, 1)
    if _NEXT_WEEK.search(lowered):
        return today + timedelta(days=7 - today.weekday())
    return None
