"""The day a customer means, relative to the location's today."""

from datetime import date

import pytest

from domain.dates import mentioned_day, names_a_time, said_time, weekly

MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "today", "meant"),
    [
        ("Yes, I'd love to try a day pass for next Tuesday.", MONDAY, date(2026, 12, 1)),
        ("next Tuesday works", TUESDAY, date(2026, 12, 8)),  # said on a Tuesday: a week on
        ("this Tuesday", TUESDAY, TUESDAY),
        ("Could I come on Friday?", MONDAY, date(2026, 12, 4)),
        ("tomorrow morning", MONDAY, TUESDAY),
        ("today if possible", MONDAY, MONDAY),
        ("on the 3rd", MONDAY, date(2026, 12, 3)),
        ("the 15th", MONDAY, date(2026, 12, 15)),
        ("3 December", MONDAY, date(2026, 12, 3)),
        ("Dec 3rd", MONDAY, date(2026, 12, 3)),
        ("January 5", MONDAY, date(2027, 1, 5)),  # already past this year: next year
        ("2026-12-24", MONDAY, date(2026, 12, 24)),
        # The same ways of saying it in the other five languages the engine reads.
        ("volgende dinsdag", TUESDAY, date(2026, 12, 8)),
        ("kan ik morgen komen?", MONDAY, TUESDAY),
        ("am Freitag von 10 bis 12 Uhr", MONDAY, date(2026, 12, 4)),
        ("heute Morgen", MONDAY, MONDAY),  # a morning, not tomorrow
        # In so many minutes or hours: today, in any of the six.
        ("in 20 minutes", MONDAY, MONDAY),
        ("over 20 minuten", MONDAY, MONDAY),
        ("in 2 Stunden", MONDAY, MONDAY),
        ("dans 30 minutes", MONDAY, MONDAY),
        ("en 20 minutos", MONDAY, MONDAY),
        ("daqui a 2 horas", MONDAY, MONDAY),
        ("mercredi prochain de 10h à 12h", MONDAY, date(2026, 12, 2)),
        ("mardi prochain", TUESDAY, date(2026, 12, 8)),
        ("le 3 décembre", MONDAY, date(2026, 12, 3)),
        ("el lunes por la mañana", TUESDAY, date(2026, 12, 7)),  # a morning, not tomorrow
        ("5 de enero", MONDAY, date(2027, 1, 5)),
        ("na próxima quinta", MONDAY, date(2026, 12, 3)),
        ("sexta-feira às 14h", MONDAY, date(2026, 12, 4)),
        ("hoje", MONDAY, MONDAY),
        # Parts of today, the day after tomorrow, a day of the month on its own, a month from its first day.
        ("is the phone booth free this afternoon?", MONDAY, MONDAY),
        ("free in like 20 min?", MONDAY, MONDAY),
        ("La cabine est libre là maintenant ?", MONDAY, MONDAY),
        ("vanmiddag om 3 uur", MONDAY, MONDAY),
        ("Is de Harbour Room morgenochtend vrij?", MONDAY, TUESDAY),
        ("the day after tomorrow", MONDAY, date(2026, 12, 2)),
        ("übermorgen", MONDAY, date(2026, 12, 2)),
        ("pasado mañana", MONDAY, date(2026, 12, 2)),
        ("est-ce que la salle Loft est libre le 14 de 10h à 12h ?", MONDAY, date(2026, 12, 14)),
        ("el 2 por la tarde", TUESDAY, date(2026, 12, 2)),
        ("am 1.", date(2026, 12, 2), date(2027, 1, 1)),  # the 1st has passed this month: next month's
        ("available from February?", MONDAY, date(2027, 2, 1)),
        ("a partir de enero", MONDAY, date(2027, 1, 1)),
        ("ab Dezember", MONDAY, TUESDAY),  # from this month: from today
        ("from next month", MONDAY, TUESDAY),  # Monday 30 November: next month begins tomorrow
        ("Is Office 2.1 free from July?", MONDAY, date(2027, 7, 1)),  # a short month name is a month too
        ("ab Juni", MONDAY, date(2027, 6, 1)),
        ("next week", TUESDAY, date(2026, 12, 7)),  # from its Monday
        ("Wäre ab nächster Woche ein Schreibtisch frei?", MONDAY, date(2026, 12, 7)),
        ("la semaine prochaine", MONDAY, date(2026, 12, 7)),
        ("na próxima semana", TUESDAY, date(2026, 12, 7)),
        ("is the loft free thurs 2-5pm?", MONDAY, date(2026, 12, 3)),  # a short name that is no other word
        # a short name before a time or a part of the day
        ("is the phone booth free fri around 11?", MONDAY, date(2026, 12, 4)),
        ("a sala está livre quinta de manhã?", MONDAY, date(2026, 12, 3)),
        ("posso marcar para quarta às 9h30?", MONDAY, date(2026, 12, 2)),
        # … or before the hours it runs from
        ("dá para reservar o Loft sexta das 15h às 17h?", MONDAY, date(2026, 12, 4)),
        ("is the loft free wed between 2 and 4?", MONDAY, date(2026, 12, 2)),
        ("harbour room sexta 14-16 dá?", MONDAY, date(2026, 12, 4)),
        # a short name that is no other word, anywhere; Portugal's and Brazil's after "pra", "para"
        ("can I grab a day pass for fri", MONDAY, date(2026, 12, 4)),
        ("wed works best for us", MONDAY, date(2026, 12, 2)),
        ("dá pra reservar uma mesa pra sexta?", MONDAY, date(2026, 12, 4)),
        ("a sala está livre para a quinta?", MONDAY, date(2026, 12, 3)),
    ],
)
def test_the_day_meant(text: str, today: date, meant: date) -> None:
    assert mentioned_day(text, today) == meant


@pytest.mark.parametrize(
    "text",
    ["Can you remind me what this covers?", "2025-01-01", "February 30", "sometime", "Money is tight",
     "I sat down and read it", "I am satisfied", "the march of time", "May I pay later?",
     "é a segunda vez que escrevo", "Domingo from accounts here", "guten Morgen", "I know", "in May I paid",
     "le 14h30", "am 10:30", "koffie en fris graag", "for SAT prep", "good for sun?",
     "Tem desconto para segunda pessoa?", "sat 3 rows back", "a segunda 2 vezes", "e a segunda de 3 pessoas?",
     "preciso da fatura para a segunda via", "é para a segunda pessoa do escritório", "Freddie from accounts",
     "wed love to see the place", "wed rather book online"],  # "we'd" typed without its apostrophe
)  # fmt: skip
def test_no_day_or_none_that_is_still_ahead(text: str) -> None:
    assert mentioned_day(text, MONDAY) is None


@pytest.mark.parametrize(
    ("text", "every_week"),
    [("every Tuesday", True), ("elke dinsdag", True), ("jeden Dienstag", True), ("tous les mardis", True),
     ("cada martes", True), ("todas as terças", True), ("weekly, please", True), ("next Tuesday", False),
     ("Is every room taken tomorrow?", False)],
)  # fmt: skip
def test_a_day_every_week(text: str, every_week: bool) -> None:
    assert weekly(text) is every_week


@pytest.mark.parametrize(
    ("text", "named"),
    [("more like 10:20, still ok?", True), ("om 14h30", True), ("land at 7am", True), ("Kan het om half elf?", True),
     ("geht es auch halb drei?", True), ("after 6", True), ("le samedi", True), ("kwart over twee?", True),
     ("a las cuatro y cuarto", True), ("vers trois heures et demie", True), ("às três e meia", True),
     # numbers that are no time
     ("we are 10 people", False), ("invoice 1042", False), ("halb so schlimm", False), ("room 2.4", False),
     ("over een half uur", False), ("a quarter of the price", False), ("dos y tres", False)],
)  # fmt: skip
def test_a_time_named_however_a_country_writes_it(text: str, named: bool) -> None:
    assert names_a_time(text) is named


@pytest.mark.parametrize(
    ("text", "said"),
    [("om half elf", (10, 30)), ("um halb eins", (12, 30)), ("kwart over twee", (2, 15)), ("kwart voor drie", (2, 45)),
     ("Viertel nach 15", (15, 15)), ("viertel vor neun", (8, 45)), ("quarter past 3", (3, 15)),
     ("half past ten", (10, 30)), ("quarter to twelve", (11, 45)), ("à trois heures et quart", (3, 15)),
     ("à 11h et demie", (11, 30)), ("à midi moins le quart", None), ("a las cuatro y cuarto", (4, 15)),
     ("a la una y media", (1, 30)), ("a las cinco menos cuarto", (4, 45)), ("às três e meia", (3, 30)),
     ("às duas e um quarto", (2, 15)), ("at 3", None), ("half an hour", None)],
)  # fmt: skip
def test_a_quarter_or_half_hour_said_in_words(text: str, said: tuple[int, int] | None) -> None:
    assert said_time(text) == said
