"""The engine's understanding: what it reads from a message (intent, language, slots), what its examples are,
and that the held-out turns are never among them."""

import json
from datetime import date, time
from pathlib import Path

import numpy
import pytest

from agents.registry import AGENTS
from conversation import offline, policy, questions, understanding
from conversation.understanding import (
    EXAMPLES,
    FAQ_ALIKE,
    TOPICS,
    Slots,
    alike,
    answering,
    meanings,
    slots,
    understand,
)
from evaluation.conversations import TURNS_DIR
from settings import get_settings

# What the engine reads by meaning and acts on outside the agents' and the questions' own intents.
ENGINE = {"opt_out", "identity", "thanks", "link", "about", "pay_later", "lost", "excuse", "faq", "vague", "paid"}


def examples() -> list[dict[str, str]]:
    return [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_intent_has_examples_in_six_languages_and_every_example_an_intent_the_engine_acts_on() -> None:
    acted_on = ENGINE | set(policy.ESCALATIONS) | {intent.name for intent in questions.INTENTS}
    acted_on -= {questions.PAYMENT_STATUS}  # not a meaning of its own: a payment told of, asked as a question
    acted_on |= {intent.name for agent in AGENTS.values() for intent in agent.intents}
    written = examples()
    assert {row["intent"] for row in written} == acted_on
    for intent in acted_on:
        languages = {row["language"] for row in written if row["intent"] == intent}
        assert languages == {"en", "nl", "de", "fr", "es", "pt"}, intent


def test_the_held_out_turns_are_never_examples() -> None:
    """Nor ways of asking a topic: no turn of any set is, so the evaluation never scores what the engine was given."""
    asked = [json.loads(line) for line in TOPICS.read_text(encoding="utf-8").splitlines() if line.strip()]
    known = {" ".join(row["text"].lower().split()) for row in examples()}
    held_out = [json.loads(line)["text"] for line in (TURNS_DIR / "held_out.jsonl").read_text().splitlines()]
    assert not [text for text in held_out if " ".join(text.lower().split()) in known]
    lines = [line for path in TURNS_DIR.glob("*.jsonl") for line in path.read_text(encoding="utf-8").splitlines()]
    turns = {" ".join(json.loads(line)["text"].lower().split()) for line in lines}
    assert not [row["text"] for row in asked if " ".join(row["text"].lower().split()) in turns]
    assert {row["language"] for row in asked} == {"en", "nl", "de", "fr", "es", "pt"}


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("Could you please stop sending me these emails?", "opt_out", "en"),
        ("Ik wil graag met iemand van jullie team spreken", "person", "nl"),
        ("Je conteste le montant de cette facture", "dispute", "fr"),
        ("Meine Schlüsselkarte funktioniert seit gestern nicht mehr", "facilities", "de"),
    ],
)
def test_a_message_is_read_by_its_meaning_and_language(text: str, intent: str, language: str) -> None:
    understood = understand(text)
    assert (understood.intent, understood.language) == (intent, language)


@pytest.mark.parametrize(
    "text",
    ["Could you resend last quarter's invoices? My bookkeeper lost them.",
     "Kan ik de factuur van mei nog een keer krijgen?", "Könnten Sie mir die Rechnung von Mai nochmal zuschicken?",
     "Vous pouvez m'envoyer une copie de la facture d'avril ?", "¿Podríais mandarme otra vez la factura de abril?",
     "Conseguem enviar-me uma cópia da fatura de abril?"],
)  # fmt: skip
def test_a_copy_of_an_invoice_asked_for_is_a_question_of_invoices_not_a_dispute(text: str) -> None:
    assert understand(text).intent == "invoice_detail"


@pytest.mark.parametrize(
    "text",
    ["Is mijn betaling al aangekomen?", "Ist mein Geld schon angekommen?", "Est-ce que mon virement est arrivé ?",
     "¿Ha llegado mi pago?", "O meu pagamento já chegou?"],
)  # fmt: skip
def test_a_payment_asked_after_is_the_payments_looked_up_because_asked(text: str) -> None:
    assert understand(text).intent == "paid"


def test_what_means_nothing_is_not_guessed() -> None:
    assert understand("?!?").intent is None
    assert understand("ok").language is None  # too short to tell


def test_a_message_means_the_same_in_any_of_the_six_languages() -> None:
    """The meaning is shared across languages: a question finds an article written in another."""
    [guest], [dog] = alike("Puedo traer a un invitado?", ["Can I bring guests?"]), alike("Can I bring my dog?", [
        "Can I bring guests?"])  # fmt: skip
    assert guest > dog
    assert alike("Mag ik een gast meenemen?", ["Can I bring guests?"])[0] >= FAQ_ALIKE


def test_an_article_answers_a_question_in_another_language_when_its_answer_speaks_to_it_too() -> None:
    """Across languages a question is less alike the article's own; its answer tells the article that answers it
    from a neighbour that does not ("Can I bring my dog?" is near the question about guests, far from its answer)."""
    guests = ("Can I bring guests?", "Yes. Register guests in the portal so reception can welcome them.")
    paying = (
        "How do I pay an invoice?",
        "Every invoice email has a secure payment link; cards and bank transfer work.",
    )
    asked = "Kann ich die Rechnung auch mit Kreditkarte bezahlen oder geht nur Überweisung?"
    assert alike(asked, [paying[0]])[0] < FAQ_ALIKE  # the question's likeness alone would not do
    assert [score > 0 for score in answering(asked, [guests, paying])] == [False, True]
    assert answering("Can I bring my dog?", [guests, paying]) == [0, 0]
    assert answering("Mag ik mijn hond meenemen?", [guests, paying]) == [0, 0]


def test_a_question_and_an_article_about_the_same_topic_meet_whatever_their_words() -> None:
    """Asked in other words or another language than the article's, a question about guests or paying finds it; a
    question of another topic does not (a dog), nor a request for the team about the same thing (paying in two
    parts is for a person to decide)."""
    guests = ("Can I bring guests?", "Yes. Register guests in the portal so reception can welcome them.")
    paying = (
        "How do I pay an invoice?",
        "Every invoice email has a secure payment link; cards and bank transfer work.",
    )
    for asked in ("my girlfriend sometimes comes along to work for an afternoon, is that actually allowed?",
                  "Kunnen mijn gasten morgen gewoon binnenlopen of moet ik ze ergens aanmelden?",
                  "Un client vient me voir vendredi, est-ce que je dois le signaler quelque part ?"):  # fmt: skip
        assert alike(asked, [guests[0]])[0] < FAQ_ALIKE  # the question's likeness alone would not do
        assert [score > 0 for score in answering(asked, [guests, paying])] == [True, False], asked
    assert answering("Est-ce que je peux payer par virement bancaire plutôt que par carte ?", [guests, paying])[1] > 0
    assert answering("Posso levar o meu cão? É pequeno e muito calmo.", [guests, paying]) == [0, 0]
    split = "¿Sería posible pagar la factura en dos partes, la mitad ahora y el resto a final de mes?"
    assert answering(split, [guests, paying]) == [0, 0]


def test_an_article_about_another_topic_does_not_answer_however_alike_its_words() -> None:
    """A question and an article each about a topic the FAQ's ways of asking know, and not the same one, do not
    meet, however alike their words: a visitor's dog is not the guests' article, cancelling a room not booking one."""
    guests = ("Can I bring guests?", "Yes. Register guests in the portal so reception can welcome them.")
    room = ("How do I book a meeting room?", "Book in the member portal; rooms are billed per hour from your credits.")
    for asked in ("Can visitors bring their dogs?", "Can I cancel a meeting room I booked?"):
        assert max(alike(asked, [guests[0], room[0]])) >= FAQ_ALIKE  # alike enough, on likeness alone
        assert answering(asked, [guests, room]) == [0, 0], asked


def test_a_question_is_as_alike_with_the_sentences_around_it() -> None:
    """What else a message says does not make its question less alike an article's."""
    asked = "Can I bring a guest tomorrow?"
    [alone], [among] = (alike(message, ["Can I bring guests?"])
                        for message in (asked, f"Hi! {asked} He'll stay all day, working on our pitch."))  # fmt: skip
    assert among == pytest.approx(alone, abs=1e-4)


@pytest.mark.parametrize(
    ("greeting", "body", "closing"),
    [("Sehr geehrte Damen und Herren,\n\n", "könnten Sie mir sagen, bis wann die Rechnung AMS-1025 bezahlt sein muss?",
      "\n\nMit freundlichen Grüßen\nJonas Weber"),
     ("Madame, Monsieur,\n\n", "pourriez-vous m'indiquer vos horaires d'ouverture pendant les fêtes ?",
      "\n\nJe vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.\nPaul Martin"),
     ("Geachte heer/mevrouw,\n\n", "Kunt u mij laten weten wanneer mijn contract afloopt?",
      "\n\nMet vriendelijke groet,\nIngrid de Boer"),
     ("Dear Sir or Madam,\n\n", "Could you confirm whether my last invoice has been paid?",
      "\n\nYours faithfully,\nA. de Vries"),
     ("Estimados:\n\n", "¿podrían indicarme el precio de una oficina para cuatro personas?",
      "\n\nUn saludo cordial,\nCarmen Ortiz"),
     ("Prezados,\n\n", "gostaria de saber se a sala Harbour está livre na quinta às 10h.",
      "\n\nAtenciosamente,\nJoão Silva")],
)  # fmt: skip
def test_a_letters_greeting_and_closing_say_nothing_of_what_it_asks(greeting: str, body: str, closing: str) -> None:
    """A formal letter means what its body means: its greeting and its closing, with the names under it, are not
    read as part of it (read with them, a short request drowned in them and was not understood)."""
    asked = understand(body).intent
    assert asked is not None
    assert understand(greeting + body + closing).intent == asked
    assert [understood.intent for understood in meanings("Hallo,\nHoe laat gaan jullie open?\nGroet, Bas")] == [
        understand("Hoe laat gaan jullie open?").intent
    ]


@pytest.mark.parametrize(
    ("opening", "body"),
    [("All good here, thanks! ", "Which invoices are still open?"),
     ("Tout va bien de mon côté. ", "Mon comptable voudrait le détail de la facture d'octobre."),
     ("Alles goed hoor. ", "Wat kost een dagpas eigenlijk?"),
     ("Tudo bem por aqui. ", "Quando termina o meu contrato?")],
)  # fmt: skip
def test_how_one_is_said_before_a_question_says_nothing_of_it(opening: str, body: str) -> None:
    """In reply to "how are things?", how one is comes first, like a greeting: the message means what it asks. Said
    alone, it is read as itself."""
    asked = understand(body).intent
    assert asked is not None
    assert understand(opening + body).intent == asked
    assert understand(opening.strip()).intent != asked


def test_a_message_that_asks_two_things_is_read_sentence_by_sentence() -> None:
    read = {understood.intent for understood in meanings("I paid it yesterday. Please stop emailing me.")}
    assert "opt_out" in read


@pytest.mark.parametrize(
    ("text", "slotted"),
    [
        ("Is a room free this Thursday 2-4pm? We'll be 5",
         Slots(date(2026, 6, 4), time(14), time(16), 5, "meeting_room")),
        ("a desk for tomorrow please", Slots(date(2026, 6, 3), None, None, 1, "desk")),
        ("an office for 8 people next Wednesday from 10:00 to 12:30", Slots(date(2026, 6, 3), time(10), time(12, 30),
                                                                              8, "office")),
        ("anything free at 3 today?", Slots(date(2026, 6, 2), time(15), time(16), 1, None)),
        ("Une salle pour 8 personnes mercredi prochain de 10h à 12h ?",
         Slots(date(2026, 6, 3), time(10), time(12), 8, "meeting_room")),
        ("a meeting room every Wednesday from 14:00 to 16:00 for 3 weeks, for 4 people",
         Slots(date(2026, 6, 3), time(14), time(16), 4, "meeting_room", weeks=3)),
        ("todas as terças das 10 às 12", Slots(date(2026, 6, 2), time(10), time(12), 1, None, weeks=4)),
        ("Hay una sala libre mañana de 9 a 11? Somos 4 personas",
         Slots(date(2026, 6, 3), time(9), time(11), 4, "meeting_room")),
        # the half hour before the next, as Dutch and German say it
        ("Is er morgen om half elf een vergaderruimte vrij?",
         Slots(date(2026, 6, 3), time(10, 30), time(11, 30), 1, "meeting_room")),
        ("Ein Raum um halb drei?", Slots(None, time(14, 30), time(15, 30), 1, "meeting_room")),
        # a quarter past or to, in words
        ("Is er om kwart over twee een vergaderruimte vrij?", Slots(None, time(14, 15), time(15, 15), 1,
                                                                     "meeting_room")),
        ("¿Hay una sala a las cuatro y cuarto?", Slots(None, time(16, 15), time(17, 15), 1, "meeting_room")),
        # the day of the month before a time, not a range from it
        ("Une salle le 9 à 14h30 ?", Slots(date(2026, 6, 9), time(14, 30), time(15, 30), 1, "meeting_room")),
    ],
)  # fmt: skip
def test_the_slots_of_a_request_for_a_space(text: str, slotted: Slots) -> None:
    assert slots(text, date(2026, 6, 2)) == slotted  # a Tuesday


def test_an_offline_answer_to_another_language_says_so_in_theirs() -> None:
    turn = offline.opted_out(offline_context(), "Bitte schicken Sie mir keine E-Mails mehr")
    assert turn.reply_html.startswith("<p>Selbstverständlich")


def offline_context() -> "offline.ComposeContext":
    return offline.ComposeContext(location_name="Canal House", persona_tone="warm", signature="", customer_name="Ada",
                                  earlier_late_payments=0, facts={})  # fmt: skip


def test_a_call_is_read_as_the_same_words_typed() -> None:
    """A transcript's fillers and words said twice over take nothing from what it means."""
    spoken, typed = understand("uh hi so uhm how do I how do I book a room"), understand("hi so how do I book a room")
    assert (spoken.intent, round(spoken.confidence, 3)) == (typed.intent, round(typed.confidence, 3))
    assert understand("ehm?").intent in (None, "vague")  # nothing but a filler says nothing


def test_the_examples_meanings_are_kept_for_the_next_process_and_made_again_when_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        model, texts = understanding._model(), ["Can I bring guests?", "Kan ik gasten meenemen?"]
        made = model._embedded(numpy, texts)
        [kept] = (tmp_path / "cache").glob("examples-*.npy")
        assert (numpy.load(kept) == made).all()  # what the next process reads instead of embedding them
        kept.write_bytes(b"not an array")
        assert (model._embedded(numpy, texts) == made).all()  # made again, and kept again
        assert (numpy.load(kept) == made).all()
        model._embedded(numpy, texts[:1])  # other examples: theirs replace the older
        assert [path.name for path in (tmp_path / "cache").iterdir()] != [kept.name]
        assert len(list((tmp_path / "cache").iterdir())) == 1
    finally:
        get_settings.cache_clear()
