"""Reading what customers write: an opt-out must never be missed nor imagined, and the escalations the engine
makes whatever the AI says must fire on what they are for, not on words that merely look like them."""

import pytest

from conversation.offline import detect_intent
from conversation.policy import also_with_opt_out, opts_out, triggered
from conversation.understanding import plain_yes
from domain.opt_out import asks_to_opt_out
from models.messages import AgentType, EscalationReason


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", "Unsubscribe", "Please take me off your list", "stop emailing me", "Stop calling me please",
     "Don't contact me again", "No more emails, thanks", "Afmelden", "Stuur me geen mails meer",
     "Bitte abmelden", "Keine Nachrichten mehr bitte", "Je veux me désabonner", "Arrêtez de m'écrire",
     "Quiero darme de baja", "No me escriban más", "Vorrei disiscrivermi", "Quero me descadastrar",
     # what we send, named in each language, compounds included
     "No further reminders please", "Can you turn off the automated messages?", "Geen verlengingsmails meer",
     # with a word on what it is ("automated", "automatischen")
     "After that, please no more automated texts", "Keine automatischen Nachrichten mehr",
     "Geen automatische berichten meer", "No más correos automáticos",
     "Ik wil deze herinneringen niet meer ontvangen", "Bitte keine weiteren Mahnungen per Mail",
     "Streichen Sie mich aus Ihrem Verteiler", "Merci de ne plus m'envoyer ces e-mails", "Je ne veux plus de rappels",
     "No quiero recibir más correos", "Sáquenme de su lista", "Parem de me enviar estas mensagens",
     "Não quero mais receber lembretes", "Please take my number off your list", "Haal me van jullie lijst",
     # each way of addressing the space: vosotros and tú, du, the French imperative, Brazil's "vocês"
     "Cancelo la visita y no me escribáis más, gracias", "no me mandes más mensajes", "Dejad de escribirme",
     "Bitte schreiben Sie mir ab jetzt nicht mehr", "schreib mir nicht mehr", "Ne m'écrivez plus, merci",
     "Não me escrevam mais", "parem de me escrever",
     # what we send, named with a word before it
     "Two things: can you stop the marketing emails, and is the Harbour Room free Friday?",
     "We've signed elsewhere. Please remove me from your contacts.",
     # chasing, and Dutch's verb at the end
     "Thanks, but please don't chase me any further.", "Kunnen jullie ons uit de nieuwsbrief halen?",
     "Haal me er maar uit.",
     # no need to keep them informed, and the verb at the end of a Dutch list's removal
     "You don't need to keep us updated anymore", "Je hoeft me niet meer op de hoogte te houden",
     "Sie müssen mich nicht mehr auf dem Laufenden halten", "Pas besoin de me tenir au courant, merci",
     "No hace falta que me mantengáis al tanto", "Não é preciso manter-me informado",
     "Willen jullie mijn e-mailadres uit het mailingbestand verwijderen?", "Schreiben Sie mir bitte nicht wieder.",
     # a list or a newsletter of the space's events is ours
     "Please unsubscribe me from the events newsletter", "Quero me descadastrar da lista de eventos",
     "Kann ich mich vom Newsletter abmelden?", "Unsubscribe me from all your event announcements",
     # an address named is the one to stop writing to
     "Please stop emailing jane@acme.example", "Stop sending reminders to jane@acme.example, thanks",
     "Unsubscribe me, my address is a.b@example.com",
     # a no of another clause before it ("not interested, and …"), in each language
     "Not for us and please stop emailing me", "Kein Bedarf und bitte keine Anrufe mehr",
     "Pas pour moi et ne m'écrivez plus", "No me interesa y no me escriban más",
     "Não tenho interesse e parem de me ligar", "Niet voor ons maar hou alsjeblieft op met mailen",
     # not to be contacted, said of oneself or on someone's behalf
     "She asks not to be contacted again.", "Sie möchte nicht mehr angeschrieben werden.",
     "Je ne souhaite plus être sollicité.", "No queremos ser contactados otra vez",
     "Não quero ser incomodado com mensagens", "stop maar met appen", "Quit messaging me",
     "Switch off all your notifications for me",
     # not to be on a list of ours
     "I don't want to be on your mailing list", "Ich will nicht mehr auf Ihrer Liste sein",
     "Ik wil niet meer op de verzendlijst", "Je ne veux plus être sur vos listes",
     "No quiero estar en la lista", "Não quero continuar na vossa lista"],
)  # fmt: skip
def test_opt_outs_in_every_language_we_write_in(text: str) -> None:
    assert asks_to_opt_out(text)


@pytest.mark.parametrize(
    "text",
    ["What time do you stop serving coffee?", "I want to cancel my membership", "Please cancel my booking",
     "Don't email me, call me instead", "I'd rather you text me than email", "Can you send the link again?",
     "Remove me from the meeting room booking on Friday?", "Não me liguem, mandem por email",
     "I have no more questions about the calls", "Keine Fragen mehr zu den Rechnungen",
     "Ik heb geen herinnering ontvangen", "Keine Anrufe bitte, lieber per Mail", "Put me on the waiting list",
     "Plutôt par SMS que par mail, merci", "No me llames, prefiero WhatsApp",
     # what we do, said of us, is no ask to stop
     "Warum schreiben Sie mir nicht mehr?", "Ihr Vertrieb ruft mich nicht mehr zurück",
     "Ich melde mich nicht mehr an, das Büro ist zu teuer", "Vous ne m'envoyez plus les factures, c'est normal ?",
     # a stop to something else than our messages
     "Arrêtez de me facturer la salle, je ne l'ai pas utilisée", "Arrêtez de me prélever, j'ai déménagé",
     "L'application ne m'envoie plus les codes d'accès", "El portal deja de enviar las facturas desde ayer",
     "Could you chase the invoice with my accountant?", "Kun je me uit de brand helpen?",
     # said not to be one
     "I don't want to unsubscribe, but two reminders in a week is a lot", "Not trying to opt out, just asking",
     "Je ne veux pas me désabonner, juste une question", "Ik wil me niet afmelden hoor", "Ich will mich nicht abmelden",
     "No quiero darme de baja, solo saber el precio", "No, I don't want you to stop sending them",
     "I'm not asking you to stop emailing me", "Please don't turn off the reminders, I need them",
     # signing off from an event, a club or a class of the space, in any order of words
     "Please unsubscribe me from the yoga class on Thursday", "Ik wil me afmelden voor de borrel van vrijdag",
     "Kann ich mich vom Workshop abmelden?", "¿Cómo puedo desinscribirme del evento del jueves?",
     "Je voudrais me désinscrire de l'atelier de demain",
     # another address to write to moves our messages, it does not stop them
     "Stop sending the invoices to me, send them to finance@example.com instead",
     "Bitte keine Mahnungen mehr an mich, sondern an buchhaltung@example.de"],
)  # fmt: skip
def test_what_is_not_an_opt_out(text: str) -> None:
    assert not asks_to_opt_out(text)


@pytest.mark.parametrize(
    ("text", "out"),
    [("I don't want to unsubscribe or anything, but could you lock in the price if I renew?", False),
     ("I'm not trying to unsubscribe, just tell me the dates", False),
     ("I don't want to unsubscribe. Actually, yes: stop emailing me.", True), ("not now. take me off your list", True),
     # However short, an ask to stop is heard: a word or two need no more confidence for it than a sentence.
     ("chega", True), ("arrête", True), ("no más", True),
     # A part of a word or two beside the rest says little on its own: a courtesy, a "that's all".
     ("Hola, ¿me podría llamar alguien del equipo mañana? Prefiero hablar por teléfono, por favor.", False),
     ("Todo bien, gracias. La reunión se canceló a última hora, nada más.", False),
     # A letter's greeting and sign-off are no ask to stop, in any language.
     ("Sehr geehrte Damen und Herren,\n\nwann endet mein Vertrag?\n\nMit freundlichen Grüßen\nDr. Eva Lang", False),
     ("Beste,\n\nwat kost de Loft per uur?\n\nMet vriendelijke groet,\nJoris", False),
     # A fragment beside a clear question is read as one weakly: no ask to stop imagined in it; a sentence that
     # asks to stop, said on its own, still is one.
     ("Maybe, but I've got a client sprint on Thursday first. Are there 3 desks free that day? Me plus two "
      "freelancers.", False),
     ("this is my work phone, don't text this number again. email only", True),
     # beside a sign-off from something else, the rest must clearly ask to stop
     ("unsubscribe me from the book club please, I've lost interest", False),
     ("Déinscrivez-moi du club de lecture. Et ne m'écrivez plus, s'il vous plaît.", True),
     # something not found on a list is no list to leave
     ("Mi reserva no aparece en la lista.", False), ("O Wi-Fi não aparece na lista de redes.", False),
     # whether they may write to us, asked, is no ask to stop however alike its words
     ("Puedo escribiros por aquí si me decido?", False), ("Posso te escrever aqui se eu decidir?", False),
     # … and an ask to stop beside such a question is still heard
     ("Can I write to you if I need something? Otherwise, leave me out of your mailings from now on.", True),
     ("Kann ich Ihnen schreiben, wenn ich etwas brauche? Ansonsten möchte ich nichts mehr von Ihnen bekommen.", True),
     # asked to write to another address, by meaning too
     ("Die Rechnungen bitte künftig nicht an mich schicken, sondern an finanzen@example.de.", False)],
)  # fmt: skip
def test_an_opt_out_said_not_to_be_one_is_read_for_the_rest(text: str, out: bool) -> None:
    assert opts_out(text) is out


@pytest.mark.parametrize(
    ("text", "out"),
    [("My solicitor has the contract now. You'll hear from her.", False),
     ("Mon avocat s'occupe de ce contrat. Vous aurez de ses nouvelles.", False),
     ("This invoice charges a room I never booked. Please take it off.", False),
     ("Welche Daten haben Sie über mich gespeichert? Bitte teilen Sie mir das mit.", False),
     # an ask to stop beside a claim is still one: the team gets the claim, and nothing more is sent
     ("You charged me twice for November. Stop emailing me.", True)],
)  # fmt: skip
def test_a_claims_own_words_are_no_ask_to_stop(text: str, out: bool) -> None:
    """Beside a lawyer, a disputed charge or a request for their data, "you'll hear from her" or "take it off" is
    the claim speaking: the customer must reach the team, not be opted out."""
    assert opts_out(text) is out


@pytest.mark.parametrize(
    ("text", "claim"),
    [("Please remove my email address from your mailing list.", None),
     ("Kunnen jullie mijn e-mailadres van de nieuwsbrieflijst halen?", None),
     ("Remove me from your list and delete everything you hold about me.", EscalationReason.personal_data),
     ("Unsubscribe. You charged me twice last month.", EscalationReason.dispute)],
)  # fmt: skip
def test_an_ask_to_stop_is_no_claim_of_its_own(text: str, claim: EscalationReason | None) -> None:
    """Removing an address from a mailing list is an opt-out, not a request to erase their data: the claim that
    goes to the team beside an ask to stop is what the message says beside it."""
    assert opts_out(text)
    assert also_with_opt_out(text) is claim


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Can I talk to someone on your team?", EscalationReason.asked_for_person),
        (
            "Could I have a quick call with someone before I sign? I'd rather not do it by text.",
            EscalationReason.asked_for_person,
        ),
        ("Before the tour I'd love a short chat with them about our team's needs.", EscalationReason.asked_for_person),
        ("I have a call with them at 3, is the phone booth free?", None),  # their call, not one with us
        # a line after a closing that is no name is still read
        ("Is the Loft free on Friday at 2?\nThanks\nI want a refund", EscalationReason.needs_judgement),
        # a mood in a word or two opening a plain request is no sarcasm; closing one, it says how the rest is meant
        ("oh great. is the Loft free Thursday at 3?", None),
        ("Ah génial. Vous avez un bureau pour deux ?", None),
        ("Great, another reminder. Really. So helpful.", EscalationReason.frustrated),
        # Brazil's "legal" is "cool": an acknowledgement before a question, not the law
        ("legal. quanto custa a sala?", None),
        ("show, legal. onde fica?", None),
        ("Is that even legal?", EscalationReason.legal),
        ("I dispute this invoice", EscalationReason.dispute),
        ("You overcharged me", EscalationReason.dispute),
        ("I want to make a complaint about the noise", EscalationReason.complaint),
        ("This is unacceptable.", EscalationReason.frustrated),
        ("I HAVE ALREADY PAID THIS INVOICE", EscalationReason.frustrated),
        ("What is the price per person for the Loft?", None),
        ("Thanks, that's perfect!", None),
        ("Can you remind me what this covers?", None),
        ("I need a payment plan", EscalationReason.needs_judgement),
        ("Can I get a discount for a team of three?", EscalationReason.needs_judgement),
        ("No need to call me, just send the link", None),  # a person mentioned is not a person asked for
        ("My manager wants to know what the Loft costs an hour", None),  # their own manager, not ours
        ("put your manager on", EscalationReason.asked_for_person),  # ours: "your" is no "our"
        # a role the writer says of themselves
        ("Hi, facilities manager at Northwind here. Is the Loft free on Friday at 2?", None),
        ("As the new operations manager, is the Harbour Room free on Thursday?", None),
        ("I am the office manager of Kinetic and need our last three invoices.", None),
        # A message cut short, or a word or two that surely mean nothing, is asked about, not taken as a mood.
        ("nee maar", None),
        ("si pero el", None),
        ("mais alors", None),
        # A plain yes agrees, whatever mood a reading of it finds; a yes that means no, or says more, is read.
        ("Ja, graag!", None),
        ("Oui, avec plaisir", None),
        ("Yeah right, as if", EscalationReason.frustrated),
        ("yes, terrible service", EscalationReason.complaint),
    ],
)
def test_what_always_reaches_a_person(text: str, reason: EscalationReason | None) -> None:
    assert triggered(text, [], failed_tools=0) == reason


@pytest.mark.parametrize(
    ("text", "intent"),
    [("yes! switch me please", "yes"), ("Ja, graag!", "yes"), ("ok", "vague"), ("ok but", "vague"),
     ("ja maar", "vague"), ("si pero el", "vague"), ("Ik wilde vragen of", "vague"), ("Ja aber wenn", "vague"),
     ("k sure but which", "vague"), ("Thursday at", "vague"), ("Sim, mas o", "vague"), ("Top, dank je!", "thanks"),
     ("wat?", None)],
)  # fmt: skip
def test_a_yes_to_an_outreach_is_its_link_and_a_lone_ok_or_a_cut_short_one_is_not(
    text: str, intent: str | None
) -> None:
    found = detect_intent(AgentType.upsell, text)
    assert (found.name if found else None) == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [("Sorry, I was ill all week.", "excuse"),
     ("Sorry, stuck in traffic. Can I just buy a day pass for Thursday instead?", "day_pass"),
     ("Oups, désolé ! C'est combien de l'heure pour le Loft déjà ?", "prices")],
)  # fmt: skip
def test_an_apology_is_answered_for_what_it_asks_beside_it(text: str, intent: str) -> None:
    found = detect_intent(AgentType.tour_no_show, text)
    assert found is not None and found.name == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [("Sorry about yesterday! Instead of the tour, could I just get a day pass for Thursday?", "day_pass"),
     ("Statt der Führung lieber einen Tagespass für Freitag, geht das?", "day_pass"),
     ("En lugar de la visita, ¿puedo comprar un pase de día para el lunes?", "day_pass"),
     ("Can we move the tour to Friday at 10?", "tour"), ("Kunnen we de rondleiding naar vrijdag verzetten?", "tour")],
)  # fmt: skip
def test_a_day_pass_asked_instead_of_a_tour_is_a_day_pass(text: str, intent: str) -> None:
    """A day named after a missed tour moves the tour, unless what is asked for that day is a day pass."""
    found = detect_intent(AgentType.tour_no_show, text)
    assert found is not None and found.name == intent


@pytest.mark.parametrize("text", ["Sí, quiero una", "Sim, quero um", "Oui, envoyez-les", "Yes, plan A"])
def test_a_yes_ending_on_a_word_a_sentence_may_end_on_is_not_cut_short(text: str) -> None:
    assert plain_yes(text)
