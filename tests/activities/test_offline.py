"""The offline composer and conversation engine: exact facts, the customer's name, tone by history,
and no way for data to inject markup."""

from datetime import date

import pytest

from activities.offline import compose
from agents.base import ComposeContext
from conversation import questions
from conversation.offline import answer, detect_intent
from conversation.policy import triggered
from conversation.turn import MAX_TOOL_ROUNDS
from conversation.understanding import names
from models.messages import AgentType, Channel, EscalationReason, ToolResult, ToolStep, Turn, TurnOutcome

FACTS: dict[str, str | int] = {
    "invoice_id": "ams-inv-1",
    "invoice_number": "AMS-1042",
    "invoice_amount": "€1,250.00",
    "amount_cents": 125_000,
    "currency": "EUR",
    "due_date": "2026-11-02",
    "days_overdue": 19,
    "payment_link": "https://portal.example/pay/AMS-1042",
}


def context(**overrides: object) -> ComposeContext:
    values: dict[str, object] = {
        "location_name": "Canal House",
        "persona_tone": "warm",
        "signature": "The Canal House team",
        "customer_name": "Emma de Jong",
        "earlier_late_payments": 0,
        "facts": FACTS,
    } | overrides
    return ComposeContext(**values)  # type: ignore[arg-type]


def test_draft_names_the_customer_and_states_the_exact_facts() -> None:
    draft = compose(AgentType.due_invoice, context(), Channel.ai_email)
    assert "Hi Emma," in draft.body_html
    assert "€1,250.00" in draft.body_html
    assert "AMS-1042" in draft.subject
    assert 'href="https://portal.example/pay/AMS-1042"' in draft.body_html
    assert "November 2, 2026" in draft.body_html
    assert "{{" not in draft.body_html
    assert draft.body_text.startswith("Hi Emma,")


def test_tone_differs_for_a_habitual_late_payer() -> None:
    first_time = compose(AgentType.due_invoice, context(earlier_late_payments=0), Channel.ai_email)
    habitual = compose(AgentType.due_invoice, context(earlier_late_payments=3), Channel.ai_email)
    assert "slipped through the cracks" in first_time.body_html
    assert "slipped through the cracks" not in habitual.body_html
    assert habitual.subject.startswith("Action needed")
    assert "€1,250.00" in habitual.body_html


def test_professional_persona_uses_the_full_name() -> None:
    draft = compose(AgentType.due_invoice, context(persona_tone="professional"), Channel.ai_email)
    assert draft.body_html.startswith("<p>Dear Emma de Jong,</p>")


def test_a_location_in_another_language_is_told_the_draft_is_english() -> None:
    assert compose(AgentType.due_invoice, context(language="en-GB"), Channel.ai_email).risk_notes == []
    [note] = compose(AgentType.due_invoice, context(language="nl"), Channel.ai_email).risk_notes
    assert note.startswith("Written in English although the location's language is 'nl'")


def test_customer_data_cannot_inject_markup() -> None:
    draft = compose(AgentType.due_invoice, context(customer_name="<script>x</script> Evil"), Channel.ai_email)
    assert "<script>" not in draft.body_html
    assert "&lt;script&gt;" in draft.body_html


@pytest.mark.parametrize(
    ("message", "outcome", "intent"),
    [
        ("I already paid last week", TurnOutcome.resolve, "paid"),
        ("Can you resend the link?", TurnOutcome.reply, "link"),
        ("Thanks!", TurnOutcome.resolve, "thanks"),
        ("Thanks! And can I bring a guest?", TurnOutcome.reply, "faq"),  # a question is no mere thank-you
        ("What is this about?", TurnOutcome.reply, "about"),
        ("Will you be open on Boxing Day?", TurnOutcome.reply, "location"),
    ],
)
def test_intents(message: str, outcome: TurnOutcome, intent: str) -> None:
    found = detect_intent(AgentType.due_invoice, message)
    assert ((found.outcome, found.name) if found else (TurnOutcome.reply, "other")) == (outcome, intent)


def answered(
    agent: AgentType | None, message: str, found: dict[str, ToolResult], composed: ComposeContext | None = None
) -> tuple[list[str], Turn]:
    """The turn's answer once the tools it asks for have found what `found` says, and the tools it asked for."""
    steps: list[ToolStep] = []
    for _ in range(MAX_TOOL_ROUNDS):
        turn = answer(agent, composed or context(), message, steps)
        if not turn.tool_calls:
            return [step.request.name for step in steps], turn
        steps += [ToolStep(request=call, result=found[call.name]) for call in turn.tool_calls]
    raise AssertionError(f"still asking for tools after {MAX_TOOL_ROUNDS} rounds: {turn.tool_calls}")


PAYING = ToolResult(name="search_faq", ok=True, content={"results": [
    {"question": "How do I pay an invoice?", "answer": "Cards and bank transfer both work."}]})  # fmt: skip
NO_ARTICLE = ToolResult(name="search_faq", ok=True, content={"results": []})


def test_link_request_gets_the_payment_link() -> None:
    _, turn = answered(AgentType.due_invoice, "could you send the link again?", {"search_faq": NO_ARTICLE})
    assert turn.outcome is TurnOutcome.reply
    assert 'href="https://portal.example/pay/AMS-1042"' in turn.reply_html
    assert "Emma" in turn.reply_html


def test_a_question_of_how_to_pay_gets_the_faqs_answer_with_the_link() -> None:
    message = "Can I pay the invoice by bank transfer instead of the link?"
    tools, turn = answered(AgentType.due_invoice, message, {"search_faq": PAYING})
    assert tools == ["search_faq"]
    assert "Cards and bank transfer both work." in turn.reply_html
    assert 'href="https://portal.example/pay/AMS-1042"' in turn.reply_html
    # An FAQ without the answer leaves the link, not a handover: the link was what they asked about.
    _, turn = answered(AgentType.due_invoice, message, {"search_faq": NO_ARTICLE})
    assert turn.outcome is TurnOutcome.reply and "Cards" not in turn.reply_html
    assert 'href="https://portal.example/pay/AMS-1042"' in turn.reply_html


def test_the_members_chat_sends_the_portals_link() -> None:
    portal = ToolResult(name="portal_link", ok=True, content={"link": "https://portal.example/book?sig=1"})
    tools, turn = answered(None, "pls send me the link to the member portal, lost it", {"portal_link": portal})
    assert tools == ["portal_link"]
    assert 'href="https://portal.example/book?sig=1"' in turn.reply_html


OPEN = ToolResult(name="invoice_details", ok=True, content={"invoices": [
    {"number": "AMS-1042", "amount": "€1,250.00", "due_date": "2026-11-02", "status": "open",
     "payment_link": "https://portal.example/pay/AMS-1042",
     "line_items": [{"description": "Private Office", "amount": "€1,250.00", "quantity": 1}]}]})  # fmt: skip
HOURS = ToolResult(name="location_details", ok=True, content={
    "name": "Canal House", "address": "Herengracht 182", "opening_hours": {"mon": "09:00-18:00", "sat": "closed"},
    "closed_on": [], "other_locations": []})  # fmt: skip
PRICES = ToolResult(name="plans_and_prices", ok=True, content={
    "plans": [{"name": "Flex Desk", "monthly_price": "€250.00"}],
    "private_offices": [{"name": "Office 2.4", "seats": 4, "monthly_price": "€1,650.00"}],
    "day_pass": "€35.00"})  # fmt: skip
PORTAL = ToolResult(name="portal_link", ok=True, content={"link": "https://portal.example/book?sig=1"})


@pytest.mark.parametrize(
    "message",
    ["Could you send me the link to the member portal? I want to change my card.",
     "Waar kan ik inloggen? Ik wil mijn gegevens aanpassen.",
     "Je n'arrive plus à me connecter, vous pouvez m'envoyer le lien ?"],
)  # fmt: skip
def test_a_link_asked_for_the_member_portal_is_the_portals_not_the_outreachs(message: str) -> None:
    tools, turn = answered(AgentType.due_invoice, message, {"portal_link": PORTAL, "search_faq": NO_ARTICLE})
    assert tools[-1] == "portal_link"
    assert 'href="https://portal.example/book?sig=1"' in turn.reply_html
    assert "pay/AMS-1042" not in turn.reply_html


def test_the_portal_named_in_reply_to_an_outreach_whose_own_link_is_for_booking_is_the_portals() -> None:
    """A first booking's outreach links to booking; a member who names the portal (or signing in to it) gets the
    portal's own link, signed for them, and one who asks for the booking link again gets the booking walk-through."""
    portal = detect_intent(AgentType.first_booking, "Nunca recebi acesso ao portal de membros. Onde faço login?")
    assert portal is questions.PORTAL
    again = detect_intent(AgentType.first_booking, "Could you send me the booking link again?")
    assert again is not None and again.name == "link" and again is not questions.PORTAL


@pytest.mark.parametrize(
    ("agent", "message"),
    [(AgentType.upsell, "No thanks. Where can I check my bookings for next week?"),
     (AgentType.tour_no_show, "Sorry! Is there an app for members, by the way?"),
     (AgentType.re_engagement, "Is er een app waarmee ik een bureau kan reserveren?"),
     (AgentType.at_risk, "Alles gut. Gibt es eine App für Mitglieder?"),
     (AgentType.contract_renewal, "D'accord. Comment je me connecte à l'espace membre ?"),
     (AgentType.tour_reminder, "Top. Où est-ce que je me connecte pour voir la visite ?"),
     (AgentType.booking_no_show, "¿Hay alguna aplicación para gestionar mis reservas?"),
     (None, "Onde vejo as minhas reservas?")],
)  # fmt: skip
def test_a_question_naming_the_portal_its_app_or_ones_bookings_gets_the_portals_link(
    agent: AgentType | None, message: str
) -> None:
    """Whatever the outreach was about, a question of where to see one's bookings, of the app or of signing in
    asks for the member portal, when it asks nothing else of ours."""
    found = detect_intent(agent, message)
    assert found is not None and found.uses is not None and found.name == "link"
    tools, _ = answered(agent, message, {"portal_link": PORTAL, "search_faq": NO_ARTICLE})
    assert tools[-1] == "portal_link"


@pytest.mark.parametrize(
    "message",
    ["Où est-ce que je peux changer mon numéro de téléphone ?", "preciso mudar o meu cartão, onde posso fazer isso?",
     "Waar kan ik mijn bankgegevens wijzigen?", "Wo kann ich meine Rechnungsadresse ändern?",
     "send me the link to update my email address pls", "Hoe kan ik mijn telefoonnummer aanpassen?",
     "¿Cómo puedo cambiar mis datos de facturación?", "Kun je me een linkje sturen om mijn e-mailadres te veranderen?"],
)  # fmt: skip
def test_where_to_change_ones_own_details_is_the_portals_link_not_a_request_for_the_team(message: str) -> None:
    """The customer changes their own details in the portal: the place or the link asked for is the portal's, not a
    personal-data request; erasing them is the team's."""
    assert triggered(message, [], 0) is None
    found = detect_intent(AgentType.re_engagement, message)
    assert found is not None and found.uses is not None and found.name == "link"
    tools, _ = answered(AgentType.re_engagement, message, {"portal_link": PORTAL, "search_faq": NO_ARTICLE})
    assert tools[-1] == "portal_link"
    for theirs in (
        "Please delete my phone number, where can I do that?",
        "Where do you send my invoices? Please change the billing address to ap@example.com",
    ):
        assert triggered(theirs, [], 0) is EscalationReason.personal_data  # erased, or changed to what it says


def test_a_connection_or_a_password_is_not_the_portal_named() -> None:
    """To connect is the portal's only as French signs in; a password may be the Wi-Fi's, the location's."""
    for message in ("Is there a good train connection from the station?", "What's the Wi-Fi password again?"):
        assert not names("portal", message)


@pytest.mark.parametrize(
    ("message", "intent"),
    [("I work late most days and figured the place shuts at 6. Can I actually still get in in the evenings?",
      "location"),
     ("Mijn collega komt vaak pas laat terug van klanten. Kan hij na 19 uur nog naar binnen?", "location"),
     ("Je viendrais aussi le week-end. Le bâtiment est accessible le samedi ?", "location"),
     # with what lets a member in: whether it does at a time, not that it is broken
     ("Does my fob let me in on Sundays?", "location"), ("Werkt mijn pas ook om 7 uur 's ochtends?", "location"),
     ("Komme ich mit dem Chip auch nachts rein?", "location"),
     ("Mi tarjeta sirve para entrar por la noche?", "location"),
     # getting in, at no time: a question for the FAQ
     ("Is the building wheelchair accessible? My business partner uses a wheelchair.", "faq")],
)  # fmt: skip
def test_a_question_of_getting_in_at_a_time_is_the_locations_hours(message: str, intent: str) -> None:
    found = detect_intent(AgentType.re_engagement, message)
    assert found is not None and found.name == intent
    assert triggered(message, [], 0) is None  # nothing broken: a question, not a matter for the team


@pytest.mark.parametrize(
    ("agent", "message", "intent"),
    [(AgentType.tour_reminder, "Will anybody be at the front desk at 8:30 when I arrive?", "location"),
     (AgentType.lead_follow_up, "Is er zaterdagochtend iemand bij de balie?", "location"),
     (AgentType.tour_no_show, "Ist am Montag um 17 Uhr noch jemand da?", "location"),
     (AgentType.lead_follow_up, "Il y a quelqu'un sur place le samedi matin ?", "location"),
     (AgentType.tour_reminder, "¿Habrá alguien en recepción a las 9?", "location"),
     (AgentType.lead_follow_up, "Há alguém aí depois das 18h?", "location"),
     # someone sitting at a desk is whether it is free; "anyone" asked to know something is no one's hours
     (None, "Is anyone sitting at desk 3 on Friday?", "availability"),
     (None, "anyone seen my charger? left it in the Loft at 3pm", None)],
)  # fmt: skip
def test_whether_someone_of_the_space_is_there_at_a_time_is_the_locations_hours(
    agent: AgentType | None, message: str, intent: str | None
) -> None:
    """Whatever the outreach was about (a tour, say): a question of the space's people being there at a time is
    answered with the location's hours."""
    found = detect_intent(agent, message)
    assert (found.name if found else None) == intent


@pytest.mark.parametrize(
    ("message", "team"),
    [("If we renew for two more years, is the office still €2,400 a month?", False),
     ("I'll renew. Is the price staying at €425 or going up?", False),
     ("Si je renouvelle pour un an, c'est toujours 250 € par mois ?", False),
     ("Se renovar por mais um ano, continua a ser 250 € por mês?", False),
     # a better price, or other terms, asked beside it: the team's
     ("If I renew, could you do it for less than €425?", True),
     ("Any discount if I renew, or is it still the same price?", True),
     ("Can I keep the same price but switch to a flex desk?", True)],
)  # fmt: skip
def test_whether_a_renewals_price_stays_is_the_contract_not_a_change_of_terms(message: str, team: bool) -> None:
    found = detect_intent(AgentType.contract_renewal, message)
    if team:
        assert triggered(message, [], 0) is EscalationReason.needs_judgement
    else:
        assert triggered(message, [], 0) is None
        assert found is not None and found.name == "contract_detail"


@pytest.mark.parametrize(
    ("message", "intent"),
    [("Allí estaré a las diez. Ya que voy a la visita, ¿me podéis decir cuánto cuesta la oficina para cuatro?",
      "prices"),
     ("Ich komme morgen zur Besichtigung, vorab wüsste ich gern, was ein fester Schreibtisch im Monat kostet.",
      "prices"),
     ("See you tomorrow, can't wait to see the place!", "tour")],
)  # fmt: skip
def test_a_clause_asking_the_tools_beside_the_tour_is_answered(message: str, intent: str) -> None:
    """A reply about the tour whose clause asks what the tools know ("…, vorab wüsste ich gern, was … kostet") is
    answered for it, not sent the tour's link again."""
    found = detect_intent(AgentType.tour_reminder, message)
    assert found is not None and found.name == intent


@pytest.mark.parametrize(
    ("agent", "message"),
    [(AgentType.tour_no_show, "sorry kid was sick hows much is the office for 2"),
     (AgentType.booking_no_show, "désolée, empêchement de dernière minute c combien un bureau fermé"),
     (AgentType.tour_no_show, "desculpa esqueci completamente quanto custa uma sala"),
     (AgentType.tour_no_show, "sorry vergeten hoeveel kost een kantoor voor 2")],
)  # fmt: skip
def test_the_price_of_a_space_asked_beside_an_apology_or_nothing_clear_is_the_prices(
    agent: AgentType | None, message: str
) -> None:
    """How much a desk, a room, an office or a day pass costs, asked without a question mark after an apology,
    gets the prices rather than an apology's acknowledgement."""
    found = detect_intent(agent, message)
    assert found is not None and found.name == "prices"


@pytest.mark.parametrize("message", ["combien pour une salle de 6 ?", "how much for a room for 8 people?"])
def test_what_a_space_costs_asked_is_its_price_not_whether_it_is_free(message: str) -> None:
    found = detect_intent(AgentType.upsell, message)
    assert found is not None and found.name == "prices"
    free = detect_intent(AgentType.upsell, "is there a room for 8 people free tomorrow, and how much is it?")
    assert free is not None and free.name == "availability"


@pytest.mark.parametrize(
    "message",
    ["Is there a cheaper option for part-timers?", "Y a-t-il une formule moins chère pour deux jours par semaine ?",
     "¿Hay algún plan más barato para quien viene poco?", "Gibt es ein günstigeres Modell für Teilzeit?",
     "Tem algum plano mais barato pra quem vem pouco?"],
)  # fmt: skip
def test_whether_there_is_a_cheaper_plan_is_a_question_of_the_plans(message: str) -> None:
    """Asked whether a cheaper plan exists, the customer gets the plans; to be moved to one mid-contract, or for a
    price of their own, is the team's."""
    assert triggered(message, [], 0) is None
    found = detect_intent(AgentType.re_engagement, message)
    assert found is not None and found.name == "prices"
    for change in ("Can I switch to a cheaper plan mid-contract?", "Could you do it cheaper, like €300 a month?"):
        assert triggered(change, [], 0) is EscalationReason.needs_judgement


@pytest.mark.parametrize(
    "message",
    ["Hang on, am I going to be billed for the room I didn't turn up to?",
     "Wordt die ruimte toch in rekening gebracht?", "¿Me cobraron la sala aunque no fui?",
     "Vão cobrar a reserva mesmo assim?", "Wurde mir der Raum trotzdem berechnet?",
     "did you charge me for monday's booking?"],
)  # fmt: skip
def test_whether_something_is_charged_asked_is_looked_up_in_the_invoices(message: str) -> None:
    """Asked whether a missed booking is (or was) charged, the customer gets their invoices; said to be wrong,
    twice, or asked why, it is a dispute for the team."""
    assert triggered(message, [], 0) is None
    found = detect_intent(AgentType.booking_no_show, message)
    assert found is not None and found.name == "invoice_detail"
    for claim in ("Why was I charged for a room I never used?", "You charged me twice for the Harbour Room?",
                  "¿Por qué me cobraron dos veces?"):  # fmt: skip
        assert triggered(claim, [], 0) is EscalationReason.dispute


@pytest.mark.parametrize(
    "message",
    ["need the internet code for my new laptop", "Zugangsdaten fürs Internet bitte, neues Handy",
     "internet code pls, laptop forgot it", "¿la clave del internet? porfa"],
)  # fmt: skip
def test_the_wifi_password_asked_in_any_words_is_the_locations_details(message: str) -> None:
    """The Wi-Fi's name or password asked for is the location's details; said not to work, it is for the team."""
    assert triggered(message, [], 0) is None
    found = detect_intent(None, message)
    assert found is not None and found.name == "location"
    for problem in ("The wifi password doesn't work anymore", "Internet keeps dropping, what's going on?"):
        assert triggered(problem, [], 0) is EscalationReason.facilities


@pytest.mark.parametrize(
    ("agent", "message"),
    [(AgentType.tour_no_show, "Entschuldigung, kam nicht weg. Einfach die Preise für Schreibtische schicken bitte."),
     (AgentType.tour_no_show, "desculpa, esqueci. valores dos escritórios?")],
)  # fmt: skip
def test_the_prices_of_a_space_asked_for_beside_an_apology_are_the_prices(agent: AgentType, message: str) -> None:
    found = detect_intent(agent, message)
    assert found is not None and found.name == "prices"


@pytest.mark.parametrize(
    ("agent", "message"),
    [(AgentType.contract_renewal, "eerst even checken: heb ik nog iets openstaan? anders verleng ik gewoon"),
     (AgentType.at_risk, "Tudo tranquilo, só muito trabalho. O pagamento de outubro chegou direitinho?"),
     (AgentType.upsell, "Antes de nada, ¿tengo algo pendiente de pagar con vosotros?"),
     (AgentType.upsell, "Voordat ik overstap: is mijn laatste betaling wel aangekomen?")],
)  # fmt: skip
def test_whether_a_payment_went_through_or_anything_is_open_is_looked_up(agent: AgentType, message: str) -> None:
    """Asked whether a payment arrived, or anything is still open on their account, the customer gets what their
    invoices show; a payment said to have arrived twice is for the team."""
    found = detect_intent(agent, message)
    assert found is not None and found.name == questions.PAYMENT_STATUS
    assert triggered("My payment arrived twice, can you refund one?", [], 0) is not None


@pytest.mark.parametrize(
    "message",
    ["Welke deur moet ik hebben, en op welke bel druk ik?", "An welcher Tür soll ich morgen klingeln?",
     "¿Por qué puerta entro mañana? ¿Hay timbre?"],
)  # fmt: skip
def test_the_way_in_asked_in_reply_to_a_tour_is_the_locations_details(message: str) -> None:
    """Which door, bell or entrance, asked before a tour, is the location's access, not the tour's link; a door
    that does not open is the team's."""
    found = detect_intent(AgentType.tour_reminder, message)
    assert found is not None and found.name == "location"
    assert triggered("the front door won't open with my badge", [], 0) is EscalationReason.facilities


@pytest.mark.parametrize(
    "message",
    ["my bad. how do I cancel a room booking if plans change?", "Sorry! Hoe annuleer ik een reservering voortaan zelf?",
     "Entschuldigung. Wie kann ich eine Buchung selbst stornieren?", "Désolé. Où est-ce qu'on annule une réservation ?",
     "desculpa, como é que cancelo uma reserva?"],
)  # fmt: skip
def test_how_to_cancel_a_booking_is_the_portals(message: str) -> None:
    """How or where to cancel one's booking is the member portal, where bookings are seen and cancelled; cancelling
    a membership is the team's."""
    assert triggered(message, [], 0) is None
    found = detect_intent(AgentType.booking_no_show, message)
    assert found is questions.PORTAL
    assert triggered("how do I cancel my membership?", [], 0) is EscalationReason.needs_judgement


@pytest.mark.parametrize(
    ("message", "intent"),
    [("Geht es auch um halb zwölf statt um zehn?", "tour"), ("Train's late, more like 10:25 — still fine?", "tour"),
     ("Je peux passer plutôt vers 11h15 ?", "tour"),
     # cut short, it has not said what it wants yet
     ("¿¿a las 10?? pero si yo", "vague")],
)  # fmt: skip
def test_a_time_asked_in_reply_to_a_tour_is_the_tour(message: str, intent: str) -> None:
    """A question that names only a time, in reply to a tour's reminder, is about the tour: its link to move it."""
    found = detect_intent(AgentType.tour_reminder, message)
    assert found is not None and found.name == intent


@pytest.mark.parametrize(
    "message", ["My fob stopped opening the front door this morning.", "Mein Chip geht seit gestern nicht mehr.",
                "Mi tarjeta no abre la puerta desde el lunes."],
)  # fmt: skip
def test_what_lets_a_member_in_not_working_is_for_the_team(message: str) -> None:
    assert triggered(message, [], 0) is EscalationReason.facilities


def test_a_day_pass_naming_no_day_in_reply_to_a_tour_is_for_the_tours_day() -> None:
    tour = {"tour_id": "t1", "tour_date": "2026-12-08", "tour_time": "11:00", "address": "Herengracht 182",
            "tour_link": "https://portal.example/tour"}  # fmt: skip
    composed = context(facts=tour, today=date(2026, 12, 7))
    [check] = answer(AgentType.tour_reminder, composed, "Kann ich nach der Führung direkt einen Tagespass kaufen?",
                     []).tool_calls  # fmt: skip
    assert (check.name, check.arguments["date"]) == ("check_availability", "2026-12-08")
    # A day named is that day.
    [check] = answer(AgentType.tour_reminder, composed, "Can I get a day pass for Friday instead?", []).tool_calls
    assert (check.name, check.arguments["date"]) == ("check_availability", "2026-12-11")


@pytest.mark.parametrize(
    ("message", "tool", "day"),
    [("Is the phone booth free?", "check_availability", "2026-12-07"),
     ("Zijn er nog bureaus vrij bij het raam?", "check_availability", "2026-12-07"),
     ("¿Hay una sala libre en 20 minutos?", "check_availability", "2026-12-07"),
     ("Is the Loft free on Friday?", "check_availability", "2026-12-11"),
     # or taken
     ("Is the phone booth taken right now?", "check_availability", "2026-12-07"),
     ("Is anyone sitting at desk 3 tomorrow? If not, it's mine.", "check_availability", "2026-12-08"),
     ("I'd like to book a meeting room", "portal_link", None)],
)  # fmt: skip
def test_asked_whether_a_space_is_free_naming_no_day_is_asked_for_today(
    message: str, tool: str, day: str | None
) -> None:
    """Without a day, a request to book gets the portal; a question whether something is free, today's answer."""
    [call] = answer(None, context(today=date(2026, 12, 7)), message, []).tool_calls
    assert (call.name, call.arguments.get("date")) == (tool, day)


@pytest.mark.parametrize(
    "message",
    ["The payment link says expired, can you send me a new one?", "De betaallink werkt niet, kunt u een nieuwe sturen?",
     "Le lien de paiement ne marche plus, vous pouvez m'en renvoyer un ?",
     # one that answers with an error
     "the payment link gives me an error", "Der Zahlungslink zeigt nur einen Fehler", "O link de pagamento dá erro",
     "link says page not found"],
)  # fmt: skip
def test_a_payment_link_that_no_longer_works_is_sent_afresh(message: str) -> None:
    """Not the same link again: the invoice looked up, with a payment link made now."""
    tools, turn = answered(AgentType.due_invoice, message, {"invoice_details": OPEN, "search_faq": NO_ARTICLE})
    assert tools[-1] == "invoice_details"
    assert 'href="https://portal.example/pay/AMS-1042"' in turn.reply_html and "Private Office" in turn.reply_html


PAID = ToolResult(name="invoice_details", ok=True, content={"invoices": [
    {"number": "AMS-1042", "amount": "€1,250.00", "due_date": "2026-11-02", "status": "paid",
     "line_items": []}]})  # fmt: skip


@pytest.mark.parametrize(
    ("agent", "message"),
    [(AgentType.due_invoice, "I transferred it on Monday, has it come through yet?"),
     (None, "Wurde meine Zahlung vom 3. schon verbucht?"),
     (AgentType.at_risk, "Tudo bem. A fatura de novembro já está paga? Não sei se a transferência passou.")],
)  # fmt: skip
def test_whether_a_payment_has_arrived_is_looked_up_not_taken_as_told(agent: AgentType | None, message: str) -> None:
    """The invoice still open is said to be, with when a payment shows; one paid, that it is. Told rather than
    asked, a payment is acknowledged for the team, as before."""
    tools, turn = answered(agent, message, {"invoice_details": OPEN})
    assert tools == ["invoice_details"] and turn.outcome is TurnOutcome.reply
    assert "AMS-1042" in turn.reply_html and "still shows as open" in turn.reply_html
    assert "a business day or two" in turn.reply_html
    _, turn = answered(agent, message, {"invoice_details": PAID})
    assert "invoice AMS-1042 is paid" in turn.reply_html and "open" not in turn.reply_html

    tools, turn = answered(AgentType.due_invoice, "I transferred it on Monday.", {})
    assert tools == [] and turn.outcome is TurnOutcome.resolve and "I've told our team" in turn.reply_html

    # told in one sentence, beside a question of another: the payment is told, and the question answered
    for message in ("Habe es gestern überwiesen. Habt ihr am Samstag offen?",
                    "Paid it this morning via the link. Quick one: are you open on Saturdays?"):  # fmt: skip
        tools, turn = answered(AgentType.due_invoice, message, {"location_details": HOURS})
        assert tools == ["location_details"] and "I've told our team" in turn.reply_html
        assert "Saturday: closed" in turn.reply_html


def test_a_message_that_asks_two_things_gets_both_answered_in_one_reply() -> None:
    """Each sentence's own question, each with its tools in turn: the hours and the day pass's price; a promise to
    pay noted, and the invoice it asks about listed."""
    found = {"location_details": HOURS, "plans_and_prices": PRICES, "portal_link": PORTAL, "invoice_details": OPEN}
    tools, turn = answered(None, "Are you open on Saturdays? And how much is a day pass?", found)
    assert tools == ["location_details", "plans_and_prices", "portal_link"]
    assert "Saturday: closed" in turn.reply_html and "A day pass is €35.00." in turn.reply_html
    assert turn.outcome is TurnOutcome.reply and turn.reply_html.count("The Canal House team") == 1

    # the second read as a whole as evenly as the first ("Ich überweise …"): they are answered in the order said
    for message in ("I'll pay it on Friday when my salary comes in. Do I have any other open invoices?",
                    "Ich überweise es am Freitag. Habe ich noch andere offene Rechnungen?"):  # fmt: skip
        tools, turn = answered(AgentType.due_invoice, message, found)
        assert tools == ["invoice_details"]
        assert "noted when you plan to pay" in turn.reply_html and "AMS-1042" in turn.reply_html
        assert turn.outcome is TurnOutcome.resolve  # the promise is noted for the team, as without the question


def test_a_second_question_the_first_answer_covers_is_not_answered_twice() -> None:
    """An office without a day is looked up by its prices: the question of what it costs is answered by them."""
    message = "Is a private office for 3 people available? How much is it per month?"
    tools, turn = answered(None, message, {"plans_and_prices": PRICES, "portal_link": PORTAL})
    assert tools == ["plans_and_prices", "portal_link"]
    assert turn.reply_html.count("Office 2.4") == 1


LEAD_FACTS: dict[str, str | int] = {
    "inquiry_id": "ams-lead-1",
    "inquiry_date": "2026-11-02",
    "inquiry_message": "Do you have desks for a team of three?",
    "days_since_inquiry": 19,
    "tour_link": "https://portal.example/tour",
}


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        ("Yes, I'd love to try a day pass for next Tuesday.", TurnOutcome.reply),
        ("What is this about?", TurnOutcome.reply),
        ("Could you send the link again?", TurnOutcome.reply),
    ],
)
def test_a_lead_gets_a_lead_answer_never_an_invoice_one(message: str, outcome: TurnOutcome) -> None:
    lead = context(facts=LEAD_FACTS)  # no today: a day pass is not bought, its price is looked up
    price = ToolResult(name="plans_and_prices", ok=True, content={"day_pass": "€35.00"})
    tools, turn = answered(AgentType.lead_follow_up, message, {"plans_and_prices": price, "search_faq": NO_ARTICLE},
                           lead)  # fmt: skip
    assert "invoice_details" not in tools
    if "plans_and_prices" in tools:
        assert "A day pass is €35.00" in turn.reply_html
    assert turn.outcome is outcome
    assert "nvoice" not in turn.reply_html
    assert "Emma" in turn.reply_html
    if outcome is TurnOutcome.reply:
        assert 'href="https://portal.example/tour"' in turn.reply_html


def test_an_invoice_reminder_answers_what_it_is_about_with_the_invoice_itself() -> None:
    turn = answer(AgentType.due_invoice, context(), "Hm, what is this about?", [])
    [lookup] = turn.tool_calls
    assert (lookup.name, lookup.arguments) == ("invoice_details", {"invoice_number": "AMS-1042"})


@pytest.mark.parametrize(
    ("agent_type", "facts", "about", "link"),
    [
        (
            AgentType.contract_renewal,
            {
                "plan_name": "Flex Desk",
                "end_date": "2026-12-15",
                "days_left": 20,
                "renewal_link": "https://portal.example/renew/c1",
                "monthly_price": "€250.00",
                "contract_id": "c1",
            },
            "Your Flex Desk membership ends on December 15, 2026",
            "https://portal.example/renew/c1",
        ),
        (
            AgentType.lead_follow_up,
            LEAD_FACTS,
            "You asked us about working at Canal House",
            "https://portal.example/tour",
        ),
        (
            AgentType.first_booking,
            {"join_date": "2026-11-01", "days_since_joining": 20, "booking_link": "https://portal.example/book"},
            "Booking a desk or a meeting room at Canal House",
            "https://portal.example/book",
        ),
    ],
)
def test_every_agent_type_answers_about_its_own_situation(
    agent_type: AgentType, facts: dict[str, str | int], about: str, link: str
) -> None:
    turn = answer(agent_type, context(facts=facts), "Hm, what is this about?", [])
    assert turn.outcome is TurnOutcome.reply
    assert about in turn.reply_html
    assert f'href="{link}"' in turn.reply_html
    assert "  " not in turn.reply_html  # no empty value left a gap
